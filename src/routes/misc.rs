//! `GET /ok` and `GET /error`.

use super::Reply;
use crate::context::Ctx;

/// `GET /ok` → `{"ok":true}`.
pub fn ok() -> Reply {
    Reply::Json(r#"{"ok":true}"#.to_owned())
}

/// Better Auth's `sanitize`: escapes `< > " '` and every `&` that does not start an entity.
pub fn sanitize(input: &str) -> String {
    let mut out = String::with_capacity(input.len());
    for (i, c) in input.char_indices() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '&' if !starts_entity(&input[i..]) => out.push_str("&amp;"),
            c => out.push(c),
        }
    }
    out
}

fn starts_entity(s: &str) -> bool {
    ["&amp;", "&lt;", "&gt;", "&quot;", "&#39;"]
        .iter()
        .any(|e| s.starts_with(e))
        || {
            let rest = &s[1..];
            let (digits, hex) = match rest.strip_prefix("#x").or_else(|| rest.strip_prefix("#X")) {
                Some(r) => (r, true),
                None => match rest.strip_prefix('#') {
                    Some(r) => (r, false),
                    None => return false,
                },
            };
            let n = digits
                .bytes()
                .take_while(|b| {
                    if hex {
                        b.is_ascii_hexdigit()
                    } else {
                        b.is_ascii_digit()
                    }
                })
                .count();
            n > 0 && digits.as_bytes().get(n) == Some(&b';')
        }
}

/// `GET /error?error=<code>&error_description=<text>`: a plain HTML page. The code is shown only
/// when it matches `[A-Za-z0-9_'-]+` (else `UNKNOWN`); the description is escaped.
pub fn error_page(ctx: &Ctx) -> Reply {
    let code = ctx
        .query_param("error")
        .filter(|c| {
            !c.is_empty()
                && c.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"_'-".contains(&b))
        })
        .unwrap_or("UNKNOWN");
    let description = ctx
        .query_param("error_description")
        .filter(|d| !d.is_empty())
        .map(sanitize)
        .unwrap_or_else(|| {
            "We encountered an unexpected error. Please try again or return to the home page."
                .to_owned()
        });
    Reply::Html(format!(
        r#"<!DOCTYPE html>
<html lang="en">
  <head>
    <meta charset="UTF-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1.0" />
    <title>Error</title>
    <style>
      body {{ font-family: system-ui, sans-serif; margin: 0; min-height: 100vh; display: grid; place-items: center; background: #fff; color: #111; }}
      main {{ max-width: 32rem; padding: 2rem; text-align: center; }}
      code {{ display: inline-block; padding: 0.25rem 0.5rem; border: 1px solid #ccc; font-size: 0.9rem; }}
      a {{ color: inherit; }}
    </style>
  </head>
  <body>
    <main>
      <h1>Something went wrong</h1>
      <p><code>{code}</code></p>
      <p>{description}</p>
      <p><a href="/">Go home</a></p>
    </main>
  </body>
</html>"#,
        code = sanitize(code)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sanitize_escapes_markup_but_keeps_entities() {
        assert_eq!(
            sanitize(r#"<script>alert("x")</script>"#),
            "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"
        );
        assert_eq!(
            sanitize("a & b &amp; &#39; &#x41; &#zz;"),
            "a &amp; b &amp; &#39; &#x41; &amp;#zz;"
        );
    }
}
