//! Sync filters (workflows spec §1.5): `include`/`exclude` globs and filter-file rules, matched
//! on the relative path of each file, with the official client's semantics exactly.
//!
//! A glob is Python's `fnmatch.fnmatchcase` (3.11) on the whole path: `*` matches any run of
//! characters **including `/`** (consecutive `*` are one), `?` one character (also `/`),
//! `[abc]`, `[a-z]`, `[!x]` a class, an unclosed `[` a literal `[`; no escapes, no braces,
//! case-sensitive, anchored at both ends. A `\` in a pattern is read as `/` first.
//!
//! Precedence, first match wins: filter-file rules in order; any `exclude`; any `include`;
//! exclude when some `include` was given; else include.
//!
//! ```
//! use hf_buckets::sync::{fnmatchcase, Filter};
//! assert!(fnmatchcase("logs/sub/b.tmp", "*.tmp"));
//! assert!(!fnmatchcase("logs/a.log", "logs"));
//! let f = Filter::new(vec!["*.bin".into()], vec!["tmp/*".into()], Vec::new());
//! assert!(f.matches("a.bin") && !f.matches("tmp/a.bin") && !f.matches("a.txt"));
//! ```

/// One filter-file rule: include (`+`) or exclude (`-`) the paths matching `pattern`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterRule {
    /// `true` for `+` (include), `false` for `-` (exclude).
    pub include: bool,
    /// The glob (with `\` already read as `/`).
    pub pattern: String,
}

/// Parses a filter file: one rule per line, trimmed; blank lines and lines starting with `#`
/// are ignored; `+ PAT` includes, `- PAT` excludes (the space is optional), a line without a
/// sign includes.
pub fn parse_filter_rules(text: &str) -> Vec<FilterRule> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| {
            let (include, pattern) = if let Some(p) = l.strip_prefix('+') {
                (true, p.trim())
            } else if let Some(p) = l.strip_prefix('-') {
                (false, p.trim())
            } else {
                (true, l)
            };
            FilterRule {
                include,
                pattern: normalize(pattern),
            }
        })
        .collect()
}

/// `\` in a pattern is a path separator, never an escape.
fn normalize(pattern: &str) -> String {
    pattern.replace('\\', "/")
}

/// The `include`/`exclude`/filter-file rules of one sync.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    include: Vec<Glob>,
    exclude: Vec<Glob>,
    rules: Vec<(bool, Glob)>,
}

impl Filter {
    /// A filter from `include` and `exclude` globs and filter-file `rules`.
    pub fn new(include: Vec<String>, exclude: Vec<String>, rules: Vec<FilterRule>) -> Filter {
        Filter {
            include: include.iter().map(|p| Glob::new(&normalize(p))).collect(),
            exclude: exclude.iter().map(|p| Glob::new(&normalize(p))).collect(),
            rules: rules
                .iter()
                .map(|r| (r.include, Glob::new(&normalize(&r.pattern))))
                .collect(),
        }
    }

    /// Whether the relative `path` takes part in the sync.
    pub fn matches(&self, path: &str) -> bool {
        let chars: Vec<char> = path.chars().collect();
        if let Some((include, _)) = self.rules.iter().find(|(_, g)| g.matches(&chars)) {
            return *include;
        }
        if self.exclude.iter().any(|g| g.matches(&chars)) {
            return false;
        }
        if self.include.iter().any(|g| g.matches(&chars)) {
            return true;
        }
        self.include.is_empty()
    }
}

/// Python's `fnmatch.fnmatchcase(name, pattern)` (3.11 semantics; see the module docs).
pub fn fnmatchcase(name: &str, pattern: &str) -> bool {
    Glob::new(pattern).matches(&name.chars().collect::<Vec<_>>())
}

/// One element of a compiled glob.
#[derive(Debug, Clone, PartialEq)]
enum Token {
    /// `*`: any run of characters.
    Star,
    /// `?`, or a negated empty class: any one character.
    Any,
    /// One literal character.
    Char(char),
    /// A class: one character in (or, negated, not in) the literals and inclusive ranges.
    Class {
        negated: bool,
        chars: Vec<char>,
        ranges: Vec<(char, char)>,
    },
    /// An empty class: matches nothing.
    Never,
}

/// A compiled glob.
#[derive(Debug, Clone)]
struct Glob(Vec<Token>);

impl Glob {
    fn new(pattern: &str) -> Glob {
        let pat: Vec<char> = pattern.chars().collect();
        let n = pat.len();
        let mut out: Vec<Token> = Vec::new();
        let mut i = 0;
        while i < n {
            let c = pat[i];
            i += 1;
            match c {
                '*' => {
                    if out.last() != Some(&Token::Star) {
                        out.push(Token::Star);
                    }
                }
                '?' => out.push(Token::Any),
                '[' => {
                    let mut j = i;
                    if j < n && pat[j] == '!' {
                        j += 1;
                    }
                    if j < n && pat[j] == ']' {
                        j += 1;
                    }
                    while j < n && pat[j] != ']' {
                        j += 1;
                    }
                    if j >= n {
                        out.push(Token::Char('['));
                    } else {
                        out.push(class(&pat, i, j));
                        i = j + 1;
                    }
                }
                c => out.push(Token::Char(c)),
            }
        }
        Glob(out)
    }

    /// Whether the glob matches all of `name` (greedy `*` with backtracking to the last star:
    /// every other token matches exactly one character, so this is exact).
    fn matches(&self, name: &[char]) -> bool {
        let toks = &self.0;
        let (mut t, mut s) = (0usize, 0usize);
        let mut star: Option<(usize, usize)> = None;
        while s < name.len() {
            match toks.get(t) {
                Some(Token::Star) => {
                    star = Some((t, s));
                    t += 1;
                    continue;
                }
                Some(tok) if one(tok, name[s]) => {
                    t += 1;
                    s += 1;
                    continue;
                }
                _ => {}
            }
            match star {
                Some((st, ss)) => {
                    t = st + 1;
                    s = ss + 1;
                    star = Some((st, ss + 1));
                }
                None => return false,
            }
        }
        toks[t.min(toks.len())..].iter().all(|x| *x == Token::Star)
    }
}

fn one(tok: &Token, c: char) -> bool {
    match tok {
        Token::Star => false,
        Token::Any => true,
        Token::Char(x) => *x == c,
        Token::Never => false,
        Token::Class {
            negated,
            chars,
            ranges,
        } => {
            let hit = chars.contains(&c) || ranges.iter().any(|&(a, b)| a <= c && c <= b);
            hit != *negated
        }
    }
}

/// The class `pat[start..end]` (between `[` and `]`), read as Python 3.11's `fnmatch.translate`
/// does: hyphens split the text into chunks (a hyphen first, or right after a range, is
/// literal), a range whose start is above its end is dropped, and a leading `!` negates.
fn class(pat: &[char], start: usize, end: usize) -> Token {
    let stuff = &pat[start..end];
    let mut chunks: Vec<Vec<char>>;
    if !stuff.contains(&'-') {
        chunks = vec![stuff.to_vec()];
    } else {
        chunks = Vec::new();
        let mut i = start;
        let mut k = if pat[start] == '!' {
            start + 2
        } else {
            start + 1
        };
        loop {
            let found = (k..end).find(|&x| pat[x] == '-');
            let Some(h) = found else { break };
            chunks.push(pat[i..h].to_vec());
            i = h + 1;
            k = h + 3;
        }
        let last = pat[i.min(end)..end].to_vec();
        if last.is_empty() {
            if let Some(prev) = chunks.last_mut() {
                prev.push('-');
            }
        } else {
            chunks.push(last);
        }
        let mut k = chunks.len().saturating_sub(1);
        while k > 0 {
            let (prev_last, cur_first) =
                (chunks[k - 1].last().copied(), chunks[k].first().copied());
            if let (Some(a), Some(b)) = (prev_last, cur_first) {
                if a > b {
                    let cur = chunks.remove(k);
                    let prev = &mut chunks[k - 1];
                    prev.pop();
                    prev.extend_from_slice(&cur[1..]);
                }
            }
            k -= 1;
        }
    }
    let total: usize = chunks.iter().map(Vec::len).sum::<usize>() + chunks.len().saturating_sub(1);
    if total == 0 {
        return Token::Never;
    }
    if chunks.len() == 1 && chunks[0] == ['!'] {
        return Token::Any;
    }
    let negated = chunks.first().and_then(|c| c.first()) == Some(&'!');
    let mut chars = Vec::new();
    let mut ranges = Vec::new();
    let last = chunks.len() - 1;
    for (ci, chunk) in chunks.iter().enumerate() {
        for (pi, &c) in chunk.iter().enumerate() {
            if ci == 0 && pi == 0 && negated {
                continue;
            }
            let range_end = ci > 0 && pi == 0;
            let range_start = ci < last && pi + 1 == chunk.len();
            if range_end {
                // Paired with the previous chunk's last character below.
                continue;
            }
            if !range_start {
                chars.push(c);
            }
        }
        if ci > 0 {
            if let (Some(&a), Some(&b)) = (chunks[ci - 1].last(), chunk.first()) {
                ranges.push((a, b));
            }
        }
    }
    Token::Class {
        negated,
        chars,
        ranges,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_follow_python_fnmatchcase() {
        // (name, pattern, expected) — each checked against Python 3.11 `fnmatch.fnmatchcase`.
        let table: &[(&str, &str, bool)] = &[
            ("logs/sub/b.tmp", "*.tmp", true),
            ("b.tmp", "*.tmp", true),
            ("logs", "logs", true),
            ("logs/a.log", "logs", false),
            ("logs/a.log", "logs/*", true),
            ("logs/a/b.log", "logs/*", true),
            ("logs/a.log", "logs/", false),
            ("logs/", "logs/", true),
            ("a/b", "a?b", true),
            ("ab", "a?b", false),
            ("a/b/c.bin", "**.bin", true),
            ("a/b/c.bin", "a/**/c.bin", true),
            ("README.md", "readme.md", false),
            ("file1", "file[0-9]", true),
            ("filex", "file[0-9]", false),
            ("filex", "file[!0-9]", true),
            ("file1", "file[!0-9]", false),
            ("a[b", "a[b", true),
            ("a]", "a]", true),
            ("]", "[]]", true),
            ("x", "[!]]", true),
            ("]", "[!]]", false),
            ("-", "[-a]", true),
            ("-", "[a-]", true),
            ("b", "[a-]", false),
            ("-", "[!-a]", false),
            ("b", "[!-a]", true),
            ("b", "[z-a]", false),
            ("z", "[z-a]", false),
            ("q", "[!z-a]", true),
            ("-", "[z-a-c]", true),
            ("c", "[z-a-c]", true),
            ("b", "[z-a-c]", false),
            ("b", "[a-c-e]", true),
            ("-", "[a-c-e]", true),
            ("d", "[a-c-e]", false),
            ("e", "[a-c-e]", true),
            ("!", "[!!-z]", false),
            (" ", "[!!-z]", true),
            ("^", "[^a]", true),
            ("a", "[^a]", true),
            ("b", "[^a]", false),
            ("é/ü.txt", "?/?.txt", true),
            ("😀", "?", true),
            ("", "*", true),
            ("", "?", false),
            ("abc", "a*c*", true),
            ("abcabd", "*abd", true),
            ("a\nb", "a?b", true),
            ("a.b", "a.b", true),
            ("axb", "a.b", false),
            ("a+b", "a+b", true),
            ("(x)", "(x)", true),
        ];
        for &(name, pat, want) in table {
            assert_eq!(fnmatchcase(name, pat), want, "{name:?} ~ {pat:?}");
        }
    }

    /// 4,000 (name, pattern) pairs over `ab-!]^[/z` with `*`, `?` and classes (some unclosed),
    /// each with the answer of Python 3.11 `fnmatch.fnmatchcase` (generated once, seed 11).
    #[test]
    fn random_globs_agree_with_python() {
        let cases: Vec<(String, String, bool)> =
            serde_json::from_str(include_str!("../../tests/vectors/sync-fnmatch.json")).unwrap();
        assert_eq!(cases.len(), 4000);
        let wrong: Vec<_> = cases
            .iter()
            .filter(|(n, p, want)| fnmatchcase(n, p) != *want)
            .collect();
        assert!(
            wrong.is_empty(),
            "{} disagree, e.g. {:?}",
            wrong.len(),
            &wrong[..wrong.len().min(5)]
        );
    }

    #[test]
    fn backslash_in_a_pattern_is_a_separator() {
        let f = Filter::new(vec!["logs\\*".into()], Vec::new(), Vec::new());
        assert!(f.matches("logs/a.log"));
        assert!(!f.matches("logs\\a.log"));
    }

    #[test]
    fn precedence_first_match_wins() {
        let rules = parse_filter_rules("# comment\n\n+ keep/*.tmp\n-*.tmp\n  data/*  \n");
        assert_eq!(
            rules,
            vec![
                FilterRule {
                    include: true,
                    pattern: "keep/*.tmp".into()
                },
                FilterRule {
                    include: false,
                    pattern: "*.tmp".into()
                },
                FilterRule {
                    include: true,
                    pattern: "data/*".into()
                },
            ]
        );
        // Rules beat --exclude and --include.
        let f = Filter::new(vec!["*.log".into()], vec!["keep/*".into()], rules.clone());
        assert!(f.matches("keep/a.tmp")); // rule + beats exclude keep/*
        assert!(!f.matches("x.tmp")); // rule -
        assert!(f.matches("data/x.bin")); // rule + beats the include-given default
        assert!(!f.matches("keep/a.log")); // exclude beats include
        assert!(f.matches("b.log")); // include
        assert!(!f.matches("b.bin")); // include given, none matched
                                      // Exclude only: everything else included.
        let f = Filter::new(Vec::new(), vec!["*.tmp".into()], Vec::new());
        assert!(f.matches("a.bin") && !f.matches("x/a.tmp"));
        // Only `+` rules exclude nothing.
        let f = Filter::new(Vec::new(), Vec::new(), parse_filter_rules("+ *.bin\n"));
        assert!(f.matches("a.txt"));
        // No rules: everything.
        assert!(Filter::default().matches("anything/at/all"));
    }

    #[test]
    fn filter_file_signs_and_spacing() {
        let rules = parse_filter_rules("+a\n-  b \nc\n#d\n   # e\n-\n");
        let got: Vec<(bool, &str)> = rules
            .iter()
            .map(|r| (r.include, r.pattern.as_str()))
            .collect();
        assert_eq!(
            got,
            vec![(true, "a"), (false, "b"), (true, "c"), (false, "")]
        );
        // An empty pattern matches only the empty path.
        assert!(!fnmatchcase("x", ""));
        assert!(fnmatchcase("", ""));
    }
}
