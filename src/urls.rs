//! The little of WHATWG URL parsing that origin checks need: the origin and host of an absolute
//! `http(s)` URL, Better Auth's "safe relative URL" rule, and its trusted-origin pattern match.
//!
//! Hand-written instead of the `url` crate, whose IDNA tables would add more to the Worker than
//! all of this file: a host that is not ASCII (an IDN) simply has no origin here, so it is never
//! trusted — the safe side of the difference.

/// `new URL(url).origin` for `http:`/`https:` URLs: lower-cased scheme and host, default port
/// dropped, credentials, path, query and fragment ignored. `None` for anything else.
pub fn origin(url: &str) -> Option<String> {
    let (scheme, host, port) = split(url)?;
    Some(match port {
        Some(port) => format!("{scheme}://{host}:{port}"),
        None => format!("{scheme}://{host}"),
    })
}

/// The host (without port) of an absolute `http(s)` URL.
pub fn host(url: &str) -> Option<&str> {
    let rest = url.split_once("://")?.1;
    let authority = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
    let authority = authority.rsplit_once('@').map_or(authority, |(_, a)| a);
    if authority.starts_with('[') {
        return authority.find(']').map(|i| &authority[..=i]);
    }
    Some(authority.split(':').next().unwrap_or(authority)).filter(|h| !h.is_empty())
}

fn split(url: &str) -> Option<(String, String, Option<u16>)> {
    let url = url.trim_matches(|c: char| c <= ' ');
    if url.chars().any(|c| c.is_control()) {
        return None;
    }
    let (scheme, rest) = url.split_once(':')?;
    let scheme = scheme.to_ascii_lowercase();
    let default_port = match scheme.as_str() {
        "http" => 80,
        "https" => 443,
        _ => return None,
    };
    // Special schemes treat `\` as `/` and tolerate any number of slashes before the host.
    let rest = rest.trim_start_matches(['/', '\\']);
    let authority = &rest[..rest.find(['/', '\\', '?', '#']).unwrap_or(rest.len())];
    let authority = authority.rsplit_once('@').map_or(authority, |(_, a)| a);
    let (host, port) = if authority.starts_with('[') {
        let end = authority.find(']')?;
        let after = &authority[end + 1..];
        (&authority[..=end], after.strip_prefix(':'))
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        }
    };
    if host.is_empty() || !host.is_ascii() || host.contains(['%', ' ', '<', '>', '^', '|']) {
        return None;
    }
    let port = match port {
        None | Some("") => None,
        Some(p) => {
            let n: u16 = p
                .parse()
                .ok()
                .filter(|_| p.bytes().all(|b| b.is_ascii_digit()))?;
            (n != default_port).then_some(n)
        }
    };
    Some((scheme, host.to_ascii_lowercase(), port))
}

/// Better Auth's `isSafeRelativeURL`: a path on this site, never a protocol-relative `//host`,
/// backslashes, control characters, or an encoded `/` or `\` in the path.
pub fn is_safe_relative(url: &str) -> bool {
    if !url.starts_with('/')
        || url.starts_with("//")
        || url.contains('\\')
        || url.chars().any(char::is_control)
    {
        return false;
    }
    let path = &url[..url.find(['?', '#']).unwrap_or(url.len())];
    let lower = path.to_ascii_lowercase();
    !(lower.contains("%2f") || lower.contains("%5c"))
}

/// Better Auth's `matchesOriginPattern`: relative URLs only when allowed and safe; a pattern
/// without wildcards must equal the URL's origin; `*`/`?` wildcards match the host (pattern without
/// scheme) or the whole origin (pattern with scheme); other schemes (`myapp://`) compare scheme
/// and the pattern's prefix.
pub fn matches_origin_pattern(url: &str, pattern: &str, allow_relative: bool) -> bool {
    if url.starts_with('/') {
        return allow_relative && is_safe_relative(url);
    }
    let wildcard = pattern.contains(['*', '?']);
    if wildcard && !pattern.contains("://") {
        return host(url).is_some_and(|h| glob(pattern, h));
    }
    if let Some(url_origin) = origin(url) {
        return if wildcard {
            glob(pattern, &url_origin)
        } else {
            pattern.trim_end_matches('/') == url_origin
        };
    }
    // A custom scheme (mobile deep links): same scheme and the pattern as a prefix.
    let Some((scheme, _)) = url.split_once(':') else {
        return false;
    };
    let Some((pattern_scheme, _)) = pattern.split_once(':') else {
        return false;
    };
    if url.chars().any(char::is_control) || !scheme.eq_ignore_ascii_case(pattern_scheme) {
        return false;
    }
    if matches!(
        scheme.to_ascii_lowercase().as_str(),
        "javascript" | "data" | "vbscript" | "file" | "http" | "https"
    ) {
        return false;
    }
    if wildcard {
        glob(pattern, url)
    } else {
        url.starts_with(pattern)
    }
}

/// `*` matches any run of characters, `?` one character.
fn glob(pattern: &str, text: &str) -> bool {
    wildcard_match(pattern, text, true)
}

/// Wildcard matching without backtracking blow-up: `*` matches any run of characters and, when
/// `question_mark` is set, `?` matches one character (otherwise `?` is literal).
pub fn wildcard_match(pattern: &str, text: &str, question_mark: bool) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti, mut star, mut mark) = (0, 0, None, 0);
    while ti < t.len() {
        if pi < p.len() && p[pi] != '*' && ((question_mark && p[pi] == '?') || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

/// Sets `params` in a URL's query (replacing same-named ones), keeping its fragment last.
pub fn append_query(url: &str, params: &[(&str, &str)]) -> String {
    let (before_fragment, fragment) = match url.split_once('#') {
        Some((b, f)) => (b, Some(f)),
        None => (url, None),
    };
    let (path, query) = before_fragment
        .split_once('?')
        .unwrap_or((before_fragment, ""));
    let mut pairs: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .filter(|(k, _)| !params.iter().any(|(p, _)| p == k))
        .collect();
    pairs.extend(
        params
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
    );
    let query = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish();
    let mut out = format!("{path}?{query}");
    if let Some(fragment) = fragment {
        out.push('#');
        out.push_str(fragment);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_parameters_are_set_as_url_search_params_does() {
        assert_eq!(
            append_query("http://x.test/reset", &[("token", "abc")]),
            "http://x.test/reset?token=abc"
        );
        assert_eq!(
            append_query("/v?a=1&token=old#top", &[("token", "n w")]),
            "/v?a=1&token=n+w#top"
        );
    }

    #[test]
    fn origin_is_normalised_like_the_url_standard() {
        assert_eq!(
            origin("http://127.0.0.1:3100/").as_deref(),
            Some("http://127.0.0.1:3100")
        );
        assert_eq!(
            origin("HTTPS://Example.COM:443/a?b#c").as_deref(),
            Some("https://example.com")
        );
        assert_eq!(
            origin("http://user:pw@example.com:8080/x").as_deref(),
            Some("http://example.com:8080")
        );
        assert_eq!(
            origin("http://[::1]:3000").as_deref(),
            Some("http://[::1]:3000")
        );
        assert_eq!(origin("javascript:alert(1)"), None);
        assert_eq!(origin("http://exa mple.com"), None);
        assert_eq!(origin("http://example.com:99999"), None);
        assert_eq!(origin("null"), None);
    }

    #[test]
    fn relative_urls_must_stay_on_this_site() {
        assert!(is_safe_relative("/welcome?x=1"));
        assert!(!is_safe_relative("//evil.example.com"));
        assert!(!is_safe_relative("/\\evil.example.com"));
        assert!(!is_safe_relative("/%2F%2Fevil.example.com"));
        assert!(!is_safe_relative("/a\nb"));
        assert!(!is_safe_relative("welcome"));
    }

    #[test]
    fn trusted_origin_patterns_match_as_better_auth_does() {
        let base = "http://127.0.0.1:3100";
        assert!(matches_origin_pattern(
            "http://127.0.0.1:3100/after",
            base,
            true
        ));
        assert!(matches_origin_pattern(
            "http://127.0.0.1:3100/",
            base,
            false
        ));
        assert!(!matches_origin_pattern("http://localhost:3100", base, true));
        assert!(!matches_origin_pattern(
            "https://evil.example.com/x",
            base,
            true
        ));
        assert!(!matches_origin_pattern("javascript:alert(1)", base, true));
        assert!(matches_origin_pattern("/x", base, true));
        assert!(!matches_origin_pattern("/x", base, false));
        assert!(matches_origin_pattern(
            "https://a.example.com",
            "*.example.com",
            false
        ));
        assert!(matches_origin_pattern(
            "https://a.example.com",
            "https://*.example.com",
            false
        ));
        assert!(!matches_origin_pattern(
            "https://example.org",
            "https://*.example.com",
            false
        ));
        assert!(matches_origin_pattern("myapp://callback", "myapp://", true));
    }
}
