//! The checks' messages in the source: every `tr!` pair is two plain, non-empty string
//! literals, the Korean with Hangul and the same placeholders as the English, and no English
//! message is left outside `tr!` in `src/exercise/*.rs`, `src/gradient.rs` and `src/lang.rs`.
//!
//! `scripts/i18n.py` reads the same pairs to translate the committed outputs of the Korean
//! notebooks: an English literal becomes a pattern whose `{…}` placeholders match text, and
//! the Korean literal is filled with what they matched. So both literals must be plain
//! `"…"` literals (no raw strings, no `concat!`) with the same placeholders.
//!
//! The rule for English left outside `tr!`, precisely: after removing comments (doc comments
//! included) and any item marked `#[cfg(test)]`, a string literal is English prose when it
//! has two or more words, a word being a token between whitespace or hyphens that, once
//! `{…}` placeholders and `` `code` `` spans are removed and surrounding punctuation trimmed,
//! is two or more ASCII letters (or apostrophes) and nothing else (`running_mean`, `x`,
//! `1e-7` are not words; `apple-and-orange` is three). Such a literal is an offender unless it lies inside the arguments of
//! `tr!(`, of `.expect(` or of an `assert…!(`/`unreachable!(` (invariants of the library,
//! not messages to the learner), or is on [`NOT_MESSAGES`]. `src/exercise/net.rs` (the 5.7
//! check, being rewritten) is held to the `tr!` rules but not yet to this one.

use std::path::{Path, PathBuf};

/// English literals that are not messages, with why.
const NOT_MESSAGES: &[(&str, &str, &str)] = &[
    (
        "mod.rs",
        "called `Option::unwrap()` on a `None` value",
        "Rust's own panic message, matched to recognise a backward that unwraps a None",
    ),
    (
        "mod.rs",
        "not yet implemented",
        "the start of todo!()'s panic message, matched to recognise an exercise not done yet",
    ),
    (
        "ch06.rs",
        "Xavier and He",
        "an exercise's name: the key of its report in Progress, the same in both languages",
    ),
    ("ch06.rs", "Weight decay", "an exercise's name, as above"),
    ("ch07.rs", "Output size", "an exercise's name, as above"),
];

/// How many words make a literal English prose.
const MIN_WORDS: usize = 2;

/// Files whose English outside `tr!` is not checked yet.
const PROSE_EXEMPT: &[&str] = &[];

/// A string literal of the source.
#[derive(Debug)]
struct Literal {
    /// Byte offsets of the opening and closing quote (or of the raw string's `r`).
    start: usize,
    end: usize,
    line: usize,
    /// Its text, escapes decoded (a `\` at a line's end and the next line's indentation
    /// vanish, as in Rust).
    text: String,
    /// `r"…"`, `r#"…"#` or `b"…"`.
    plain: bool,
}

/// The source with comments and the insides of literals (string and char) blanked out
/// (newlines kept), and its string literals.
fn scan(src: &str) -> (String, Vec<Literal>) {
    let b = src.as_bytes();
    let mut masked = b.to_vec();
    let mut lits = Vec::new();
    let blank = |m: &mut Vec<u8>, from: usize, to: usize| {
        for c in &mut m[from..to] {
            if *c != b'\n' {
                *c = b' ';
            }
        }
    };
    let line_of = |i: usize| src[..i].bytes().filter(|&c| c == b'\n').count() + 1;
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'/' if b.get(i + 1) == Some(&b'/') => {
                let end = src[i..].find('\n').map_or(b.len(), |k| i + k);
                blank(&mut masked, i, end);
                i = end;
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                let mut depth = 0;
                let mut j = i;
                while j < b.len() {
                    if b[j..].starts_with(b"/*") {
                        depth += 1;
                        j += 2;
                    } else if b[j..].starts_with(b"*/") {
                        depth -= 1;
                        j += 2;
                        if depth == 0 {
                            break;
                        }
                    } else {
                        j += 1;
                    }
                }
                blank(&mut masked, i, j);
                i = j;
            }
            b'r' | b'b'
                if (i == 0 || !(b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_'))
                    && raw_start(&b[i..]).is_some() =>
            {
                let (hashes, open) = raw_start(&b[i..]).expect("checked");
                let body = i + open;
                let close = format!("\"{}", "#".repeat(hashes));
                let end = src[body..]
                    .find(&close)
                    .map(|k| body + k)
                    .expect("closed raw string");
                lits.push(Literal {
                    start: i,
                    end: end + close.len() - 1,
                    line: line_of(i),
                    text: src[body..end].to_string(),
                    plain: false,
                });
                blank(&mut masked, i, end + close.len());
                i = end + close.len();
            }
            b'"' => {
                let (text, end) = decode(src, i + 1);
                lits.push(Literal {
                    start: i,
                    end,
                    line: line_of(i),
                    text,
                    plain: true,
                });
                blank(&mut masked, i + 1, end);
                i = end + 1;
            }
            b'\'' => {
                // a char literal ('x', '\n', '\'', '\u{..}') or a lifetime ('a)
                if b.get(i + 1) == Some(&b'\\') {
                    let end = src[i + 2..].find('\'').map(|k| i + 2 + k).expect("char");
                    let end = if end == i + 2 { end + 1 } else { end }; // '\''
                    blank(&mut masked, i + 1, end);
                    i = end + 1;
                } else {
                    let c = src[i + 1..].chars().next().unwrap_or(' ');
                    let after = i + 1 + c.len_utf8();
                    if b.get(after) == Some(&b'\'') {
                        blank(&mut masked, i + 1, after);
                        i = after + 1;
                    } else {
                        i += 1;
                    }
                }
            }
            _ => i += 1,
        }
    }
    (
        String::from_utf8(masked).expect("blanking keeps UTF-8"),
        lits,
    )
}

/// `r"`, `r#"`, `br"`, `b"`: (number of #, length of the opening).
fn raw_start(b: &[u8]) -> Option<(usize, usize)> {
    let mut k = 0;
    if b.first() == Some(&b'b') {
        k = 1;
        if b.get(1) == Some(&b'"') {
            return Some((0, 2));
        }
    }
    if b.get(k) != Some(&b'r') {
        return None;
    }
    let hashes = b[k + 1..].iter().take_while(|&&c| c == b'#').count();
    (b.get(k + 1 + hashes) == Some(&b'"')).then_some((hashes, k + 2 + hashes))
}

/// The text of a normal string literal whose body starts at `from`, and the offset of its
/// closing quote.
fn decode(src: &str, from: usize) -> (String, usize) {
    let mut out = String::new();
    let mut it = src[from..].char_indices().peekable();
    while let Some((k, c)) = it.next() {
        match c {
            '"' => return (out, from + k),
            '\\' => {
                let (_, e) = it.next().expect("escape");
                match e {
                    'n' => out.push('\n'),
                    't' => out.push('\t'),
                    'r' => out.push('\r'),
                    '0' => out.push('\0'),
                    '\\' | '"' | '\'' => out.push(e),
                    '\n' => {
                        while it.peek().is_some_and(|(_, c)| c.is_whitespace()) {
                            it.next();
                        }
                    }
                    'u' => {
                        let mut hex = String::new();
                        for (_, h) in it.by_ref() {
                            match h {
                                '{' => {}
                                '}' => break,
                                h => hex.push(h),
                            }
                        }
                        let v = u32::from_str_radix(&hex, 16).expect("\\u{hex}");
                        out.push(char::from_u32(v).expect("a char"));
                    }
                    'x' => {
                        let h: String = [it.next(), it.next()]
                            .iter()
                            .map(|c| c.expect("\\xHH").1)
                            .collect();
                        out.push(u8::from_str_radix(&h, 16).expect("hex") as char);
                    }
                    e => panic!("unknown escape \\{e}"),
                }
            }
            c => out.push(c),
        }
    }
    panic!("unterminated string literal")
}

/// The offset of the bracket that closes the one at `open` in `masked`.
fn closing(masked: &str, open: usize) -> usize {
    let mut depth = 0i32;
    for (k, c) in masked[open..].char_indices() {
        match c {
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => {
                depth -= 1;
                if depth == 0 {
                    return open + k;
                }
            }
            _ => {}
        }
    }
    panic!("unbalanced brackets from offset {open}")
}

/// The argument spans (from `(` to its `)`) of every call whose text before the `(` ends
/// with one of `heads` (`tr!`, `.expect`, …).
fn spans(masked: &str, heads: &[&str]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    for head in heads {
        let pat = format!("{head}(");
        let mut from = 0;
        while let Some(k) = masked[from..].find(&pat) {
            let at = from + k;
            let open = at + head.len();
            // `tr!(` but not `attr!(`: the head must start a token
            let before = masked[..at].chars().next_back().unwrap_or(' ');
            if head.starts_with('.') || !(before.is_alphanumeric() || before == '_') {
                out.push((open, closing(masked, open)));
            }
            from = open + 1;
        }
    }
    out
}

/// A `#[cfg(test)]` item's span: from the attribute to the `}` that closes its first `{`.
fn test_items(masked: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(k) = masked[from..].find("#[cfg(test)]") {
        let at = from + k;
        let open = at + masked[at..].find('{').expect("an item with a body");
        out.push((at, closing(masked, open)));
        from = at + 1;
    }
    out
}

/// The placeholders of a format string: (name or "" for positional, spec after `:`).
fn placeholders(s: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut it = s.chars().peekable();
    while let Some(c) = it.next() {
        match c {
            '{' if it.peek() == Some(&'{') => {
                it.next();
            }
            '}' if it.peek() == Some(&'}') => {
                it.next();
            }
            '{' => {
                let inner: String = it.by_ref().take_while(|&c| c != '}').collect();
                let (name, spec) = inner.split_once(':').unwrap_or((&inner, ""));
                let name = name.trim();
                let name = if name.chars().all(|c| c.is_ascii_digit()) {
                    ""
                } else {
                    name
                };
                out.push((name.to_string(), spec.to_string()));
            }
            _ => {}
        }
    }
    out
}

fn has_hangul(s: &str) -> bool {
    s.chars().any(|c| {
        ('\u{AC00}'..='\u{D7A3}').contains(&c)
            || ('\u{1100}'..='\u{11FF}').contains(&c)
            || ('\u{3130}'..='\u{318F}').contains(&c)
    })
}

/// How many English words `s` has (the module's doc says what a word is).
fn english_words(s: &str) -> usize {
    let mut t = String::new();
    let (mut brace, mut tick) = (0, false);
    for c in s.chars() {
        match c {
            '{' => brace += 1,
            '}' if brace > 0 => brace -= 1,
            '`' => tick = !tick,
            c if brace == 0 && !tick => t.push(c),
            _ => {}
        }
    }
    t.split(|c: char| c.is_whitespace() || c == '-')
        .map(|w| w.trim_matches(|c: char| c.is_ascii_punctuation() && c != '\''))
        .filter(|w| w.len() >= 2 && w.chars().all(|c| c.is_ascii_alphabetic() || c == '\''))
        .count()
}

/// The files the checks' messages come from.
fn sources() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files: Vec<PathBuf> = std::fs::read_dir(root.join("src/exercise"))
        .expect("src/exercise")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "rs"))
        .collect();
    files.sort();
    files.push(root.join("src/gradient.rs"));
    files.push(root.join("src/lang.rs"));
    files
}

fn short(path: &Path) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    path.strip_prefix(root)
        .unwrap_or(path)
        .display()
        .to_string()
}

/// Problems with the `tr!` pairs of one file's source, each as `file:line: what`.
fn tr_problems(file: &str, src: &str) -> (usize, Vec<String>) {
    let (masked, lits) = scan(src);
    let mut problems = Vec::new();
    let mut count = 0;
    for (open, close) in spans(&masked, &["tr!"]) {
        count += 1;
        let line = src[..open].lines().count().max(1);
        let inside: Vec<&Literal> = lits
            .iter()
            .filter(|l| l.start > open && l.end < close)
            .collect();
        // the two first arguments: literal, comma, literal, then `,` or `)`
        let first_two = inside.len() >= 2
            && masked[open + 1..inside[0].start].trim().is_empty()
            && masked[inside[0].end + 1..inside[1].start].trim() == ","
            && matches!(
                masked[inside[1].end + 1..=close]
                    .trim_start()
                    .chars()
                    .next(),
                Some(',' | ')')
            );
        if !first_two {
            problems.push(format!(
                "{file}:{line}: tr! must start with two string literals, English then Korean"
            ));
            continue;
        }
        let (en, ko) = (inside[0], inside[1]);
        if !en.plain || !ko.plain {
            problems.push(format!(
                "{file}:{line}: tr!'s literals must be plain \"…\" literals (no raw or byte strings)"
            ));
        }
        if en.text.trim().is_empty() || ko.text.trim().is_empty() {
            problems.push(format!("{file}:{line}: an empty literal in tr!"));
        }
        if !has_hangul(&ko.text) {
            problems.push(format!(
                "{file}:{line}: tr!'s second literal has no Hangul: {:?}",
                ko.text
            ));
        }
        let (mut pe, mut pk) = (placeholders(&en.text), placeholders(&ko.text));
        let positional = |p: &[(String, String)]| p.iter().filter(|(n, _)| n.is_empty()).count();
        if positional(&pe) != positional(&pk) {
            problems.push(format!(
                "{file}:{line}: {} positional placeholders in English, {} in Korean",
                positional(&pe),
                positional(&pk)
            ));
        }
        pe.retain(|(n, _)| !n.is_empty());
        pk.retain(|(n, _)| !n.is_empty());
        pe.sort();
        pk.sort();
        pe.dedup();
        pk.dedup();
        if pe != pk {
            let show = |p: &[(String, String)]| {
                p.iter()
                    .map(|(n, s)| {
                        if s.is_empty() {
                            format!("{{{n}}}")
                        } else {
                            format!("{{{n}:{s}}}")
                        }
                    })
                    .collect::<Vec<_>>()
                    .join(" ")
            };
            problems.push(format!(
                "{file}:{line}: placeholders differ: English {}, Korean {}",
                show(&pe),
                show(&pk)
            ));
        }
    }
    (count, problems)
}

/// English prose outside `tr!` in one file's source, each as `file:line: "literal"`.
fn prose_offenders(file: &str, src: &str) -> Vec<String> {
    let (masked, lits) = scan(src);
    let name = Path::new(file)
        .file_name()
        .expect("a file")
        .to_string_lossy()
        .to_string();
    let mut allowed = spans(&masked, &["tr!", ".expect", "unreachable!"]);
    allowed.extend(spans(
        &masked,
        &[
            "assert!",
            "assert_eq!",
            "assert_ne!",
            "debug_assert!",
            "debug_assert_eq!",
        ],
    ));
    allowed.extend(test_items(&masked));
    lits.iter()
        .filter(|l| !allowed.iter().any(|&(a, b)| l.start > a && l.end < b))
        .filter(|l| english_words(&l.text) >= MIN_WORDS)
        .filter(|l| {
            !NOT_MESSAGES
                .iter()
                .any(|(f, text, _)| *f == name && *text == l.text)
        })
        .map(|l| format!("{file}:{}: {:?}", l.line, l.text))
        .collect()
}

#[test]
fn every_tr_pair_is_two_literals_with_the_same_placeholders_and_korean() {
    let mut all = Vec::new();
    let mut total = 0;
    for path in sources() {
        let src = std::fs::read_to_string(&path).expect("readable");
        let (count, problems) = tr_problems(&short(&path), &src);
        println!("{}: {count} tr! calls", short(&path));
        total += count;
        all.extend(problems);
    }
    println!("{total} tr! calls in all");
    assert!(
        total >= 150,
        "only {total} tr! calls: is the scanner finding them?"
    );
    assert!(all.is_empty(), "tr! problems:\n{}", all.join("\n"));
}

#[test]
fn no_english_message_is_left_outside_tr() {
    let mut all = Vec::new();
    for path in sources() {
        let file = short(&path);
        if PROSE_EXEMPT.iter().any(|e| file.ends_with(e)) {
            continue;
        }
        let src = std::fs::read_to_string(&path).expect("readable");
        all.extend(prose_offenders(&file, &src));
    }
    assert!(
        all.is_empty(),
        "English messages outside tr! (write them with tr!(\"english\", \"한국어\")):\n{}",
        all.join("\n")
    );
}

// ---- the scanner itself ------------------------------------------------------------------

#[test]
fn the_scanner_finds_what_it_should() {
    let src = r#"
/// doc: "a doc comment with many words" is skipped
fn f() {
    let a = tr!("yours {a}, expected {b:.1e}", "계산값 {a}, 기댓값 {b:.1e}", a = 1, b = 2.0);
    let c = '"'; let d = '\''; let _l: &'static str = "ok";
    fail(format!("this has three words {x}"));
    x.expect("an invariant with words");
    let e = "line \
             continued";
}
#[cfg(test)]
mod tests { fn g() { let _ = "words in a test module"; } }
"#;
    let (count, problems) = tr_problems("t.rs", src);
    assert_eq!((count, problems), (1, vec![]));
    assert_eq!(
        prose_offenders("t.rs", src),
        vec![
            "t.rs:6: \"this has three words {x}\"".to_string(),
            "t.rs:8: \"line continued\"".to_string(),
        ]
    );
    let (_, lits) = scan(src);
    assert!(lits.iter().any(|l| l.text == "line continued"));

    let bad = r#"
fn f() {
    tr!("one {a}", "하나 {b}");
    tr!("two {}", "둘 {} {}", 1, 2);
    tr!("three", "three");
    tr!("four", r"넷");
    tr!(concat!("a", "b"), "다섯");
    tr!("", "여섯");
}
"#;
    let (count, problems) = tr_problems("b.rs", bad);
    assert_eq!(count, 6);
    let expect = [
        "b.rs:3: placeholders differ",
        "b.rs:4: 1 positional placeholders in English, 2 in Korean",
        "b.rs:5: tr!'s second literal has no Hangul",
        "b.rs:6: tr!'s literals must be plain",
        "b.rs:7: tr! must start with two string literals",
        "b.rs:8: an empty literal in tr!",
    ];
    for e in expect {
        assert!(
            problems.iter().any(|p| p.starts_with(e)),
            "{e} not among {problems:#?}"
        );
    }
    assert_eq!(english_words("running_mean and running_var"), 1);
    assert_eq!(english_words("the apple-and-orange sum (650)"), 5);
    assert_eq!(
        english_words("{why}: `self.mask = Some(mask)` in forward"),
        2
    );
}
