//! The client IP, found as Better Auth 1.7.25's `getIP` finds it
//! (`@better-auth/core/dist/utils/ip.mjs`): used for `session.ipAddress` and for the rate-limit
//! key. A module of its own, over a header map and the options, so both can use it.
//!
//! Rules: the configured headers (`advanced.ipAddress.ipAddressHeaders`, default
//! `x-forwarded-for`) are read in order and the first that holds **exactly one** valid IP wins;
//! a list (`client, proxy`) is not trusted (Better Auth without `trustedProxies`). Several
//! headers of one name count as one list, as the Fetch API joins them. The address is
//! normalised as `normalizeIP` does: IPv4 as written, an IPv4-mapped IPv6 address as its IPv4,
//! any other IPv6 address expanded to eight four-digit groups, lower case, and cut to its /64
//! network (`2001:db8::1` → `2001:0db8:0000:0000:0000:0000:0000:0000`), so one client holding a
//! whole /64 is one client. There is no localhost fallback (Better Auth has one only when
//! `NODE_ENV` is `development` or `test`).

use http::HeaderMap;

use crate::config::IpAddressOptions;

/// The prefix length IPv6 addresses are cut to: Better Auth's `ipv6Subnet` default.
pub const IPV6_SUBNET: u32 = 64;

/// The client IP from the configured headers, normalised; `None` when tracking is off
/// (`disableIpTracking`) or no header holds exactly one valid IP.
pub fn client_ip(headers: &HeaderMap, options: &IpAddressOptions) -> Option<String> {
    if options.disable_ip_tracking {
        return None;
    }
    options.ip_address_headers.iter().find_map(|name| {
        let mut values = headers.get_all(name.as_str()).iter().peekable();
        values.peek()?;
        let mut ips = Vec::with_capacity(1);
        for value in values {
            let value = value.to_str().ok()?;
            ips.extend(value.split(',').map(str::trim).filter(|s| !s.is_empty()));
        }
        match ips.as_slice() {
            [ip] if is_valid_ip(ip) => Some(normalize(ip, IPV6_SUBNET)),
            _ => None,
        }
    })
}

/// A valid IPv4 (dotted quad, no leading zeros) or IPv6 address, as zod's `ipv4()`/`ipv6()`
/// accept them.
pub fn is_valid_ip(ip: &str) -> bool {
    ip.parse::<std::net::IpAddr>().is_ok()
}

fn is_ipv4(ip: &str) -> bool {
    ip.parse::<std::net::Ipv4Addr>().is_ok()
}

/// `normalizeIP(ip, { ipv6Subnet })`: IPv4 unchanged, IPv4-mapped IPv6 → IPv4, other IPv6
/// expanded, lower-cased and masked to `subnet` bits (128 keeps the whole address). The string
/// handling follows Better Auth's step by step so that odd spellings land in the same bucket.
pub fn normalize(ip: &str, subnet: u32) -> String {
    if is_ipv4(ip) || ip.parse::<std::net::Ipv6Addr>().is_err() {
        return ip.to_lowercase();
    }
    if let Some(v4) = ipv4_from_mapped(ip) {
        return v4;
    }
    let groups = expand_ipv6(ip);
    if subnet < 128 {
        let mut bits = subnet;
        groups
            .iter()
            .map(|group| {
                if bits == 0 {
                    return "0000".to_owned();
                }
                if bits >= 16 {
                    bits -= 16;
                    return group.to_lowercase();
                }
                let value = u32::from_str_radix(group, 16).unwrap_or(0);
                let masked = value & ((0xffff_u32 << (16 - bits)) & 0xffff);
                bits = 0;
                format!("{masked:04x}")
            })
            .collect::<Vec<_>>()
            .join(":")
    } else {
        groups.join(":").to_lowercase()
    }
}

/// `extractIPv4FromMapped`.
fn ipv4_from_mapped(ipv6: &str) -> Option<String> {
    let lower = ipv6.to_lowercase();
    if let Some(v4) = lower.strip_prefix("::ffff:") {
        if is_ipv4(v4) {
            return Some(v4.to_owned());
        }
    }
    let parts: Vec<&str> = ipv6.split(':').collect();
    if parts.len() == 7 && parts[5].eq_ignore_ascii_case("ffff") && is_ipv4(parts[6]) {
        return Some(parts[6].to_owned());
    }
    if lower.contains("::ffff:") || lower.contains(":ffff:") {
        let groups = expand_ipv6(ipv6);
        if groups.len() == 8
            && groups[..5].iter().all(|g| g == "0000")
            && groups[5] == "ffff"
            && !groups[6].is_empty()
            && !groups[7].is_empty()
        {
            let byte = |g: &str, at: usize| {
                g.get(at..at + 2)
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
            };
            let bytes = [
                byte(&groups[6], 0)?,
                byte(&groups[6], 2)?,
                byte(&groups[7], 0)?,
                byte(&groups[7], 2)?,
            ];
            return Some(format!(
                "{}.{}.{}.{}",
                bytes[0], bytes[1], bytes[2], bytes[3]
            ));
        }
    }
    None
}

/// `expandIPv6`: the groups, each padded to four digits (case kept).
fn expand_ipv6(ipv6: &str) -> Vec<String> {
    let pad = |g: &str| format!("{g:0>4}");
    match ipv6.split_once("::") {
        Some((left, right)) => {
            let left: Vec<&str> = if left.is_empty() {
                vec![]
            } else {
                left.split(':').collect()
            };
            let right: Vec<&str> = if right.is_empty() {
                vec![]
            } else {
                right.split(':').collect()
            };
            let missing = 8usize.saturating_sub(left.len() + right.len());
            left.iter()
                .map(|g| pad(g))
                .chain(std::iter::repeat_n("0000".to_owned(), missing))
                .chain(right.iter().map(|g| pad(g)))
                .collect()
        }
        None => ipv6.split(':').map(pad).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(
                http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                value.parse().unwrap(),
            );
        }
        map
    }

    #[test]
    fn ipv6_is_expanded_and_cut_to_its_64_network() {
        assert_eq!(
            normalize("2001:DB8::1", 64),
            "2001:0db8:0000:0000:0000:0000:0000:0000"
        );
        assert_eq!(
            normalize("2001:db8:1:2:3:4:5:6", 64),
            "2001:0db8:0001:0002:0000:0000:0000:0000"
        );
        assert_eq!(
            normalize("2001:db8::1", 128),
            "2001:0db8:0000:0000:0000:0000:0000:0001"
        );
        assert_eq!(
            normalize("2001:db8:abcd::", 36),
            "2001:0db8:a000:0000:0000:0000:0000:0000"
        );
    }

    #[test]
    fn ipv4_mapped_ipv6_becomes_ipv4() {
        assert_eq!(normalize("::ffff:192.0.2.1", 64), "192.0.2.1");
        assert_eq!(normalize("::ffff:c000:0201", 64), "192.0.2.1");
        assert_eq!(normalize("0:0:0:0:0:ffff:192.0.2.1", 64), "192.0.2.1");
        assert_eq!(normalize("203.0.113.7", 64), "203.0.113.7");
    }

    #[test]
    fn only_a_single_valid_ip_in_the_first_useful_header_counts() {
        let options = IpAddressOptions::default();
        let ip = |pairs: &[(&str, &str)]| client_ip(&headers(pairs), &options);
        assert_eq!(
            ip(&[("x-forwarded-for", " 203.0.113.7 ")]).as_deref(),
            Some("203.0.113.7")
        );
        assert_eq!(
            ip(&[("x-forwarded-for", "198.51.100.1, 203.0.113.9")]),
            None
        );
        assert_eq!(
            ip(&[
                ("x-forwarded-for", "1.2.3.4"),
                ("x-forwarded-for", "5.6.7.8")
            ]),
            None
        );
        assert_eq!(ip(&[("x-forwarded-for", "01.2.3.4")]), None);
        assert_eq!(ip(&[("x-forwarded-for", "1.2.3.4:80")]), None);
        assert_eq!(ip(&[("x-forwarded-for", "unknown")]), None);
        assert_eq!(ip(&[]), None);
        let options = IpAddressOptions {
            ip_address_headers: vec!["CF-Connecting-IP".into(), "x-forwarded-for".into()],
            disable_ip_tracking: false,
        };
        assert_eq!(
            client_ip(
                &headers(&[
                    ("cf-connecting-ip", "a, b"),
                    ("x-forwarded-for", "2001:db8::7")
                ]),
                &options
            )
            .as_deref(),
            Some("2001:0db8:0000:0000:0000:0000:0000:0000")
        );
        let off = IpAddressOptions {
            disable_ip_tracking: true,
            ..IpAddressOptions::default()
        };
        assert_eq!(
            client_ip(&headers(&[("x-forwarded-for", "1.2.3.4")]), &off),
            None
        );
    }
}
