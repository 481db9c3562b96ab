//! URL policy: which link destinations become links, which image URLs may be loaded.

/// True if a link to `url` may be rendered as a clickable link: `http:`, `https:`,
/// `mailto:` (any case), or a URL without a scheme (relative path, `#fragment`, `?query`,
/// `//host`). Every other scheme (`javascript:`, `data:`, `vbscript:`, `file:`, …) is refused.
///
/// Browsers ignore ASCII tabs and newlines inside URLs and leading control characters and
/// spaces, so those are removed before the scheme is read.
pub fn is_safe_link_url(url: &str) -> bool {
    let cleaned: String = url
        .trim_start_matches(|c: char| c <= ' ')
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .collect();
    // As a browser reads it: a scheme is an ASCII letter then letters, digits, `+`, `-`,
    // `.` up to the first `:`; anything else before that `:` makes the URL relative.
    let Some(colon) = cleaned.find(':') else {
        return true;
    };
    let scheme = &cleaned[..colon];
    let is_scheme = scheme
        .as_bytes()
        .first()
        .is_some_and(u8::is_ascii_alphabetic)
        && scheme
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'));
    !is_scheme
        || ["http", "https", "mailto"]
            .iter()
            .any(|s| s.eq_ignore_ascii_case(scheme))
}

/// True if an image URL may be loaded by the app: only inline `data:` URLs of a raster
/// image type, base64-encoded (`data:image/png;base64,…`, also jpeg, gif, webp).
pub fn is_loadable_image_url(url: &str) -> bool {
    let Some((head, payload)) = url.split_once(',') else {
        return false;
    };
    let head = head.to_ascii_lowercase();
    let allowed = ["png", "jpeg", "gif", "webp"]
        .iter()
        .any(|t| head == format!("data:image/{t};base64"));
    allowed
        && payload
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn web_and_mail_schemes_and_relative_urls_are_safe() {
        for url in [
            "https://example.com/a?b#c",
            "HTTP://x",
            "mailto:a@b.c",
            "/path",
            "path/with:colon",
            "foo):",
            "a b:c",
            "#frag",
            "?q=1",
            "",
        ] {
            assert!(is_safe_link_url(url), "{url}");
        }
    }

    #[test]
    fn script_data_and_file_schemes_are_refused_even_when_obfuscated() {
        for url in [
            "javascript:alert(1)",
            "JavaScript:alert(1)",
            "java\tscript:alert(1)",
            " \u{1}javascript:alert(1)",
            "data:text/html,<script>",
            "vbscript:x",
            "file:///etc/passwd",
            "irc://foo",
            "a+b.c-d:x",
        ] {
            assert!(!is_safe_link_url(url), "{url:?}");
        }
    }

    #[test]
    fn only_base64_raster_data_urls_are_loadable_images() {
        assert!(is_loadable_image_url("data:image/png;base64,iVBORw0KGgo="));
        assert!(is_loadable_image_url("DATA:image/WEBP;base64,AAAA"));
        assert!(!is_loadable_image_url("data:image/svg+xml;base64,PHN2Zz4="));
        assert!(!is_loadable_image_url("https://example.com/x.png"));
        assert!(!is_loadable_image_url("data:image/png;base64,\"onerror=x"));
        assert!(!is_loadable_image_url("data:image/png,raw"));
    }
}
