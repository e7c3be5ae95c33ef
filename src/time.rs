//! Instants as Unix milliseconds and their ISO-8601 text (`2026-11-27T08:52:08.506Z`), the form
//! Better Auth writes in SQLite `date` columns and in JSON.
//!
//! The core never reads the system clock (`SystemTime::now()` panics on `wasm32-unknown-unknown`):
//! the host hands in a [`Clock`]. Calendar arithmetic is Howard Hinnant's `days_from_civil`
//! algorithm, a few lines, instead of a date crate in the Worker.

/// Milliseconds since the Unix epoch.
pub type Millis = i64;

/// The host's wall clock. Tests may move it.
pub trait Clock {
    /// Now, in Unix milliseconds.
    fn now_ms(&self) -> Millis;
}

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (
        if m <= 2 {
            yoe + era * 400 + 1
        } else {
            yoe + era * 400
        },
        m,
        d,
    )
}

/// `Date.prototype.toISOString()`: `YYYY-MM-DDTHH:MM:SS.mmmZ`.
pub fn to_iso(ms: Millis) -> String {
    with_iso(ms, str::to_owned)
}

/// Calls `f` with [`to_iso`]'s text, written on the stack: serialising a date allocates nothing.
pub fn with_iso<R>(ms: Millis, f: impl FnOnce(&str) -> R) -> R {
    f(IsoText::new(ms).as_str())
}

/// [`to_iso`]'s text, on the stack for four-digit years. Not generic: [`with_iso`] is a small
/// shim per caller around this one function (the Worker had a copy of the calendar code per
/// caller).
enum IsoText {
    Short([u8; 24]),
    Long(String),
}

impl IsoText {
    fn new(ms: Millis) -> IsoText {
        let days = ms.div_euclid(86_400_000);
        let rest = ms.rem_euclid(86_400_000);
        let (y, m, d) = civil_from_days(days);
        let (hh, mm, ss, mmm) = (
            rest / 3_600_000,
            rest / 60_000 % 60,
            rest / 1000 % 60,
            rest % 1000,
        );
        if !(0..=9999).contains(&y) {
            return IsoText::Long(format!(
                "{y:04}-{m:02}-{d:02}T{hh:02}:{mm:02}:{ss:02}.{mmm:03}Z"
            ));
        }
        // Written digit by digit: this runs six times per get-session, and `format!` was a
        // visible share of a cached one's CPU.
        let mut out = *b"0000-00-00T00:00:00.000Z";
        let mut put = |at: usize, width: usize, mut value: i64| {
            for i in (at..at + width).rev() {
                out[i] = b'0' + (value % 10) as u8;
                value /= 10;
            }
        };
        put(0, 4, y);
        put(5, 2, m);
        put(8, 2, d);
        put(11, 2, hh);
        put(14, 2, mm);
        put(17, 2, ss);
        put(20, 3, mmm);
        IsoText::Short(out)
    }

    fn as_str(&self) -> &str {
        match self {
            // Digits and punctuation only: always UTF-8.
            IsoText::Short(bytes) => std::str::from_utf8(bytes).unwrap_or_default(),
            IsoText::Long(text) => text,
        }
    }
}

/// An instant that serialises as its ISO-8601 text ([`to_iso`]), without allocating.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Iso(pub Millis);

impl serde::Serialize for Iso {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        with_iso(self.0, |text| s.serialize_str(text))
    }
}

/// The number `bytes` spells: one to four ASCII digits, nothing else (no sign, unlike
/// `str::parse`; and no `String` built for the fraction, as before).
fn digits(bytes: &[u8]) -> Option<i64> {
    if bytes.is_empty() || bytes.len() > 4 || !bytes.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(bytes.iter().fold(0, |n, d| n * 10 + i64::from(d - b'0')))
}

/// Parses what Better Auth and its adapters store: `YYYY-MM-DDTHH:MM:SS[.fff]Z`, a space instead of
/// `T`, or a `+HH:MM` offset. Returns `None` for anything else.
pub fn parse_iso(text: &str) -> Option<Millis> {
    let b = text.as_bytes();
    if b.len() < 19
        || b[4] != b'-'
        || b[7] != b'-'
        || !(b[10] == b'T' || b[10] == b' ')
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let num = |r: std::ops::Range<usize>| digits(&b[r]);
    let (y, mo, d, h, mi, s) = (
        num(0..4)?,
        num(5..7)?,
        num(8..10)?,
        num(11..13)?,
        num(14..16)?,
        num(17..19)?,
    );
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || s > 60 {
        return None;
    }
    let mut i = 19;
    let mut ms = 0;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        // The first three digits, as milliseconds (`.5` is 500).
        let frac = &b[start..i];
        ms = digits(&frac[..frac.len().min(3)])?;
        for _ in frac.len()..3 {
            ms *= 10;
        }
    }
    let offset_min = match &b[i..] {
        b"Z" | b"z" | b"" => 0,
        [sign @ (b'+' | b'-'), hh @ .., b':', _, _] if hh.len() == 2 => {
            let (hh, mm) = (digits(hh)?, digits(&b[b.len() - 2..])?);
            let sign = if *sign == b'-' { -1 } else { 1 };
            sign * (hh * 60 + mm)
        }
        _ => return None,
    };
    let days = days_from_civil(y, mo, d);
    Some(((days * 24 + h) * 60 + mi - offset_min) * 60_000 + s * 1000 + ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_text_matches_javascript_to_iso_string() {
        assert_eq!(to_iso(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(to_iso(1_795_771_430_596), "2026-11-27T09:23:50.596Z");
        assert_eq!(to_iso(951_782_400_000), "2000-02-29T00:00:00.000Z");
        assert_eq!(to_iso(-1), "1969-12-31T23:59:59.999Z");
        assert_eq!(to_iso(253_402_300_799_999), "9999-12-31T23:59:59.999Z");
        // Past year 9999 JavaScript writes six digits and a sign; we keep `format!`'s output
        // there (unreachable for real timestamps) rather than the fast path's four digits.
        assert_eq!(to_iso(253_402_300_800_000), "10000-01-01T00:00:00.000Z");
    }

    #[test]
    fn iso_serialises_as_its_text_and_reads_text_or_milliseconds() {
        for ms in [0, -1, 1_795_771_430_596, 253_402_300_800_000] {
            assert_eq!(
                serde_json::to_string(&Iso(ms)).unwrap(),
                format!("\"{}\"", to_iso(ms))
            );
        }
        let text = |json: &str| {
            iso::deserialize(&mut serde_json::Deserializer::from_str(json)).map_err(|_| ())
        };
        let any = |json: &str| {
            iso::deserialize_text_or_number(&mut serde_json::Deserializer::from_str(json))
                .map_err(|_| ())
        };
        assert_eq!(text(r#""2026-11-27T09:23:50.596Z""#), Ok(1_795_771_430_596));
        assert_eq!(text("1795771430596"), Err(()));
        assert_eq!(text(r#""soon""#), Err(()));
        assert_eq!(any(r#""2026-11-27T09:23:50.596Z""#), Ok(1_795_771_430_596));
        assert_eq!(any("1795771430596"), Ok(1_795_771_430_596));
        assert_eq!(any("-5"), Ok(-5));
        assert_eq!(any("1.5"), Err(()));
        assert_eq!(any("18446744073709551615"), Err(()));
        assert_eq!(any("null"), Err(()));
    }

    #[test]
    fn iso_text_round_trips_and_accepts_adapter_variants() {
        for ms in [0, 1_795_771_430_596, 4_102_444_800_123, 951_782_400_000] {
            assert_eq!(parse_iso(&to_iso(ms)), Some(ms));
        }
        assert_eq!(parse_iso("2026-11-27 09:23:50"), Some(1_795_771_430_000));
        assert_eq!(
            parse_iso("2026-11-27T10:23:50.5+01:00"),
            Some(1_795_771_430_500)
        );
        assert_eq!(parse_iso("yesterday"), None);
        assert_eq!(
            parse_iso("2026-11-27T09:23:50.1239Z"),
            Some(1_795_771_430_123)
        );
        assert_eq!(parse_iso("2026-11-27T09:23:50.Z"), None);
        assert_eq!(parse_iso("2026-11-27T09:23:50+-1:00"), None);
        assert_eq!(parse_iso("2026-11-27T09:23:50+0\u{e9}00"), None);
        assert_eq!(parse_iso("+026-11-27T09:23:50Z"), None);
        assert_eq!(parse_iso("2026-13-27T09:23:50Z"), None);
    }
}

/// Serde for a [`Millis`] field written as ISO-8601 text, as Better Auth's JSON carries dates.
pub mod iso {
    use serde::de::{Error, Visitor};
    use serde::{Deserializer, Serializer};

    /// Writes the instant as `YYYY-MM-DDTHH:MM:SS.mmmZ`.
    pub fn serialize<S: Serializer>(ms: &super::Millis, s: S) -> Result<S::Ok, S::Error> {
        super::with_iso(*ms, |text| s.serialize_str(text))
    }

    /// Reads ISO-8601 text (borrowed from the input where it can be: no allocation).
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<super::Millis, D::Error> {
        d.deserialize_str(IsoVisitor { numbers: false })
    }

    /// Reads ISO-8601 text or a number of milliseconds (what a user object's dates may be).
    pub fn deserialize_text_or_number<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<super::Millis, D::Error> {
        d.deserialize_any(IsoVisitor { numbers: true })
    }

    /// A date as text, parsed where it lies; with `numbers`, an integer is milliseconds too.
    struct IsoVisitor {
        numbers: bool,
    }

    impl Visitor<'_> for IsoVisitor {
        type Value = super::Millis;

        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("an ISO-8601 date")
        }

        fn visit_str<E: Error>(self, text: &str) -> Result<super::Millis, E> {
            super::parse_iso(text).ok_or_else(|| E::custom("invalid date"))
        }

        fn visit_i64<E: Error>(self, n: i64) -> Result<super::Millis, E> {
            if self.numbers {
                Ok(n)
            } else {
                Err(E::custom("invalid date"))
            }
        }

        fn visit_u64<E: Error>(self, n: u64) -> Result<super::Millis, E> {
            match i64::try_from(n) {
                Ok(n) => self.visit_i64(n),
                Err(_) => Err(E::custom("invalid date")),
            }
        }
    }
}
