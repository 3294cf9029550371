//! The module graph has no import circles.
//!
//! Reads every module of the library (from `src/lib.rs`) and of the binary (from
//! `src/main.rs`) by following their `mod` declarations, collects every `crate::...`,
//! `$crate::...`, `super::...` and `self::...` path (in `use` trees and in code; comments
//! and string literals are skipped), resolves each to the module it names (following
//! `pub use` re-exports to the module that defines the item), and fails on a cycle in the
//! graph of modules. A module's references to itself and to its own descendants (its
//! declarations, a `mod.rs` re-exporting its children) are not edges; everything else is,
//! including references to ancestors, so `a/b ⇄ a/c` and `a ⇄ b` are circles, and so is
//! `a/b -> a` when `a` itself uses `a/b`'s sibling `a/c` that uses `a/b`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// A module: its path from the crate root (empty for the root) and its file.
#[derive(Debug)]
struct Module {
    path: Vec<String>,
    file: PathBuf,
    tokens: Vec<Token>,
}

#[derive(Clone, Debug, PartialEq)]
struct Token {
    text: String,
    line: usize,
}

/// One crate's modules, keyed by path.
struct Crate {
    modules: BTreeMap<Vec<String>, Module>,
}

/// Where a reference was seen.
#[derive(Clone, Debug)]
struct Evidence {
    file: PathBuf,
    line: usize,
    path: String,
}

/// `text` with comments, string and character literals blanked out (newlines kept, so lines
/// still count).
fn strip(text: &str) -> String {
    let c: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let blank = |ch: char| if ch == '\n' { '\n' } else { ' ' };
    let mut i = 0;
    while i < c.len() {
        let next = c.get(i + 1).copied();
        if c[i] == '/' && next == Some('/') {
            while i < c.len() && c[i] != '\n' {
                out.push(' ');
                i += 1;
            }
        } else if c[i] == '/' && next == Some('*') {
            let mut depth = 0;
            while i < c.len() {
                if c[i] == '/' && c.get(i + 1) == Some(&'*') {
                    depth += 1;
                    out.push_str("  ");
                    i += 2;
                } else if c[i] == '*' && c.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    out.push_str("  ");
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    out.push(blank(c[i]));
                    i += 1;
                }
            }
        } else if c[i] == 'r' && (next == Some('"') || next == Some('#')) && !ident_char(c.get(i.wrapping_sub(1))) {
            // A raw string r"..." or r#"..."#; r#ident is a raw identifier.
            let mut j = i + 1;
            let mut hashes = 0;
            while c.get(j) == Some(&'#') {
                hashes += 1;
                j += 1;
            }
            if c.get(j) != Some(&'"') {
                out.push(c[i]);
                i += 1;
                continue;
            }
            j += 1;
            while j < c.len() && !(c[j] == '"' && (0..hashes).all(|h| c.get(j + 1 + h) == Some(&'#'))) {
                j += 1;
            }
            let end = (j + 1 + hashes).min(c.len());
            out.extend(c[i..end].iter().map(|&ch| blank(ch)));
            i = end;
        } else if c[i] == '"' {
            let mut j = i + 1;
            while j < c.len() && c[j] != '"' {
                j += if c[j] == '\\' { 2 } else { 1 };
            }
            let end = (j + 1).min(c.len());
            out.extend(c[i..end].iter().map(|&ch| blank(ch)));
            i = end;
        } else if c[i] == '\'' {
            // A character literal ('x', '\n', '\u{..}'), or else a lifetime or label.
            let end = if next == Some('\\') {
                let mut j = i + 2;
                while j < c.len() && c[j] != '\'' {
                    j += 1;
                }
                Some(j + 1)
            } else if c.get(i + 2) == Some(&'\'') {
                Some(i + 3)
            } else {
                None
            };
            match end {
                Some(end) => {
                    let end = end.min(c.len());
                    out.extend(c[i..end].iter().map(|&ch| blank(ch)));
                    i = end;
                }
                None => {
                    out.push(c[i]);
                    i += 1;
                }
            }
        } else {
            out.push(c[i]);
            i += 1;
        }
    }
    out
}

fn ident_char(c: Option<&char>) -> bool {
    c.is_some_and(|c| c.is_alphanumeric() || *c == '_')
}

/// Identifiers, `::` and single punctuation characters, with their lines.
fn tokenize(text: &str) -> Vec<Token> {
    let c: Vec<char> = strip(text).chars().collect();
    let mut tokens = Vec::new();
    let (mut i, mut line) = (0, 1);
    while i < c.len() {
        if c[i] == '\n' {
            line += 1;
            i += 1;
        } else if c[i].is_whitespace() {
            i += 1;
        } else if c[i].is_alphanumeric() || c[i] == '_' {
            let start = i;
            while ident_char(c.get(i)) {
                i += 1;
            }
            tokens.push(Token { text: c[start..i].iter().collect(), line });
        } else if c[i] == ':' && c.get(i + 1) == Some(&':') {
            tokens.push(Token { text: "::".into(), line });
            i += 2;
        } else {
            tokens.push(Token { text: c[i].to_string(), line });
            i += 1;
        }
    }
    tokens
}

/// The file of child module `name` of the module in `file`.
fn child_file(file: &Path, name: &str) -> Option<PathBuf> {
    let stem = file.file_stem().and_then(|s| s.to_str()).unwrap_or("");
    let dir = file.parent().expect("a file has a folder");
    let dir = if matches!(stem, "lib" | "main" | "mod") { dir.to_path_buf() } else { dir.join(stem) };
    [dir.join(format!("{name}.rs")), dir.join(name).join("mod.rs")].into_iter().find(|p| p.exists())
}

/// Every module reachable from the root file by `mod name;` declarations.
fn read_crate(root: &Path) -> Crate {
    let mut modules = BTreeMap::new();
    let mut todo = vec![(Vec::new(), root.to_path_buf())];
    while let Some((path, file)) = todo.pop() {
        let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let tokens = tokenize(&text);
        for w in tokens.windows(3) {
            if w[0].text == "mod" && w[2].text == ";" {
                let child = child_file(&file, &w[1].text)
                    .unwrap_or_else(|| panic!("{}: no file for `mod {};`", file.display(), w[1].text));
                let mut p: Vec<String> = path.clone();
                p.push(w[1].text.clone());
                todo.push((p, child));
            }
        }
        modules.insert(path.clone(), Module { path, file, tokens });
    }
    Crate { modules }
}

/// A path as written: its segments (`crate`, `super`, `self`, `$crate` kept as written),
/// the name it is imported as (for `use`), and whether it is a `pub use`.
#[derive(Clone, Debug)]
struct Written {
    segments: Vec<String>,
    alias: Option<String>,
    reexport: bool,
    /// Inline modules (`mod tests { ... }`) the path sits in.
    inline: Vec<String>,
    line: usize,
}

/// Expand a use tree starting at `tokens[*i]` with `prefix` already read, up to (not
/// including) the `,`, `}` or `;` that ends it.
fn use_tree(tokens: &[Token], i: &mut usize, prefix: Vec<String>, out: &mut Vec<(Vec<String>, Option<String>)>) {
    let mut segs = prefix;
    loop {
        let t = tokens.get(*i).map(|t| t.text.as_str()).unwrap_or(";");
        match t {
            "{" => {
                *i += 1;
                loop {
                    let t = tokens.get(*i).map(|t| t.text.as_str()).unwrap_or("}");
                    if t == "}" {
                        *i += 1;
                        return;
                    }
                    if t == "," {
                        *i += 1;
                        continue;
                    }
                    use_tree(tokens, i, segs.clone(), out);
                }
            }
            "*" => {
                *i += 1;
                out.push((segs, None));
                return;
            }
            "::" | "$" => *i += 1,
            "," | "}" | ";" => {
                out.push((segs, None));
                return;
            }
            "as" => {
                let alias = tokens.get(*i + 1).map(|t| t.text.clone());
                *i += 2;
                out.push((segs, alias));
                return;
            }
            "self" if !segs.is_empty() => *i += 1,
            _ => {
                segs.push(t.to_string());
                *i += 1;
            }
        }
    }
}

/// Every path a module writes that starts at `crate`, `$crate`, `super` or `self` (or, in a
/// `use`, at one of its own child modules).
fn written_paths(m: &Module, children: &BTreeSet<String>) -> Vec<Written> {
    let t = &m.tokens;
    let mut out = Vec::new();
    let mut inline: Vec<(String, usize)> = Vec::new();
    let mut depth = 0;
    let mut i = 0;
    while i < t.len() {
        let text = t[i].text.as_str();
        let names = |inline: &[(String, usize)]| inline.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
        match text {
            "{" => depth += 1,
            "}" => {
                depth -= 1;
                if inline.last().is_some_and(|(_, d)| *d == depth) {
                    inline.pop();
                }
            }
            "mod" if t.get(i + 2).is_some_and(|x| x.text == "{") => {
                inline.push((t[i + 1].text.clone(), depth));
            }
            "use" => {
                let reexport = i > 0 && (t[i - 1].text == "pub" || t[i - 1].text == ")");
                let line = t[i].line;
                i += 1;
                let mut trees = Vec::new();
                use_tree(t, &mut i, Vec::new(), &mut trees);
                for (segments, alias) in trees {
                    let first = segments.first().map(String::as_str).unwrap_or("");
                    let relative_child = inline.is_empty() && children.contains(first);
                    if matches!(first, "crate" | "super" | "self") || relative_child {
                        let segments = if relative_child {
                            ["self".to_string()].into_iter().chain(segments).collect()
                        } else {
                            segments
                        };
                        out.push(Written { segments, alias, reexport, inline: names(&inline), line });
                    }
                }
                continue;
            }
            "crate" | "super" if t.get(i + 1).is_some_and(|x| x.text == "::") && (i == 0 || t[i - 1].text != "::") => {
                let line = t[i].line;
                let mut segments = vec![text.to_string()];
                let mut j = i + 1;
                while t.get(j).is_some_and(|x| x.text == "::")
                    && t.get(j + 1)
                        .is_some_and(|x| x.text.chars().next().is_some_and(|c| c.is_alphanumeric() || c == '_'))
                {
                    segments.push(t[j + 1].text.clone());
                    j += 2;
                }
                out.push(Written { segments, alias: None, reexport: false, inline: names(&inline), line });
                i = j;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    out
}

impl Crate {
    fn children(&self, path: &[String]) -> BTreeSet<String> {
        self.modules
            .keys()
            .filter(|k| k.len() == path.len() + 1 && k.starts_with(path))
            .map(|k| k[path.len()].clone())
            .collect()
    }

    /// Absolute segments of a written path, from the crate root; None for paths that leave
    /// the crate.
    fn absolute(&self, m: &Module, w: &Written) -> Option<Vec<String>> {
        let mut here: Vec<String> = m.path.iter().chain(&w.inline).cloned().collect();
        let mut segs = w.segments.iter().peekable();
        match segs.peek().map(|s| s.as_str()) {
            Some("crate") => {
                segs.next();
                here.clear();
            }
            Some("self") => {
                segs.next();
            }
            Some("super") => {
                while segs.peek().is_some_and(|s| *s == "super") {
                    segs.next();
                    here.pop()?;
                }
            }
            _ => return None,
        }
        Some(here.into_iter().chain(segs.cloned()).collect())
    }

    /// The module that defines what `segs` names, following `pub use` re-exports.
    fn resolve(
        &self,
        segs: &[String],
        reexports: &BTreeMap<Vec<String>, BTreeMap<String, Vec<String>>>,
    ) -> Vec<String> {
        let mut segs = segs.to_vec();
        for _ in 0..16 {
            let module =
                (0..=segs.len()).rev().map(|n| &segs[..n]).find(|p| self.modules.contains_key(*p)).unwrap_or(&[]);
            let rest = &segs[module.len()..];
            match rest.first().and_then(|name| reexports.get(module)?.get(name)) {
                Some(target) if *target != segs[..=module.len()] => {
                    segs = target.iter().chain(&rest[1..]).cloned().collect();
                }
                _ => return module.to_vec(),
            }
        }
        segs
    }

    /// Edges between modules, with where each was first seen.
    fn edges(&self) -> BTreeMap<(Vec<String>, Vec<String>), Evidence> {
        let mut written = Vec::new();
        let mut reexports: BTreeMap<Vec<String>, BTreeMap<String, Vec<String>>> = BTreeMap::new();
        for m in self.modules.values() {
            for w in written_paths(m, &self.children(&m.path)) {
                let Some(abs) = self.absolute(m, &w) else { continue };
                if w.reexport && w.inline.is_empty() {
                    if let Some(name) = w.alias.clone().or_else(|| abs.last().cloned()) {
                        reexports.entry(m.path.clone()).or_default().insert(name, abs.clone());
                    }
                }
                written.push((m, w, abs));
            }
        }
        let mut edges = BTreeMap::new();
        for (m, w, abs) in written {
            let target = self.resolve(&abs, &reexports);
            if target.starts_with(&m.path) {
                continue; // itself or a descendant
            }
            edges.entry((m.path.clone(), target)).or_insert_with(|| Evidence {
                file: m.file.clone(),
                line: w.line,
                path: w.segments.join("::"),
            });
        }
        edges
    }
}

fn name(path: &[String]) -> String {
    if path.is_empty() { "crate".into() } else { path.join("::") }
}

/// One cycle through each strongly connected component with more than one module.
fn cycles(edges: &BTreeMap<(Vec<String>, Vec<String>), Evidence>) -> Vec<Vec<Vec<String>>> {
    let mut next: BTreeMap<&Vec<String>, Vec<&Vec<String>>> = BTreeMap::new();
    for (a, b) in edges.keys() {
        next.entry(a).or_default().push(b);
    }
    let reach = |from: &Vec<String>| -> BTreeSet<Vec<String>> {
        let mut seen = BTreeSet::new();
        let mut todo = vec![from.clone()];
        while let Some(x) = todo.pop() {
            for y in next.get(&x).into_iter().flatten() {
                if seen.insert((*y).clone()) {
                    todo.push((*y).clone());
                }
            }
        }
        seen
    };
    let nodes: BTreeSet<Vec<String>> = edges.keys().flat_map(|(a, b)| [a.clone(), b.clone()]).collect();
    let reachable: BTreeMap<Vec<String>, BTreeSet<Vec<String>>> = nodes.iter().map(|n| (n.clone(), reach(n))).collect();
    let mut done = BTreeSet::new();
    let mut out = Vec::new();
    for n in &nodes {
        if done.contains(n) || !reachable[n].contains(n) {
            continue;
        }
        let component: BTreeSet<Vec<String>> =
            nodes.iter().filter(|m| reachable[n].contains(*m) && reachable[*m].contains(n)).cloned().collect();
        done.extend(component.iter().cloned());
        // Shortest cycle through n, by breadth-first search inside the component.
        let mut parent: BTreeMap<Vec<String>, Vec<String>> = BTreeMap::new();
        let mut queue = std::collections::VecDeque::from([n.clone()]);
        'search: while let Some(x) = queue.pop_front() {
            for y in next.get(&x).into_iter().flatten() {
                if !component.contains(*y) || parent.contains_key(*y) {
                    continue;
                }
                parent.insert((*y).clone(), x.clone());
                if *y == n {
                    break 'search;
                }
                queue.push_back((*y).clone());
            }
        }
        let mut cycle = vec![n.clone()];
        let mut x = parent[n].clone();
        while x != *n {
            cycle.push(x.clone());
            x = parent[&x].clone();
        }
        cycle.push(n.clone());
        cycle.reverse();
        out.push(cycle);
    }
    out
}

/// Describe each cycle, edge by edge, with where each reference is written.
fn describe(
    root: &Path,
    crate_name: &str,
    found: &[Vec<Vec<String>>],
    edges: &BTreeMap<(Vec<String>, Vec<String>), Evidence>,
) -> String {
    let mut s = String::new();
    for cycle in found {
        let names: Vec<String> = cycle.iter().map(|p| name(p)).collect();
        s += &format!("{crate_name}: {}\n", names.join(" -> "));
        for w in cycle.windows(2) {
            let e = &edges[&(w[0].clone(), w[1].clone())];
            let file = e.file.strip_prefix(root).unwrap_or(&e.file);
            s += &format!("    {} -> {}: {}:{} `{}`\n", name(&w[0]), name(&w[1]), file.display(), e.line, e.path);
        }
    }
    s
}

#[test]
fn no_import_circles() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut report = String::new();
    let mut n_modules = 0;
    for (crate_name, file) in [("lib", "src/lib.rs"), ("bin", "src/main.rs")] {
        let krate = read_crate(&root.join(file));
        n_modules += krate.modules.len();
        let edges = krate.edges();
        report += &describe(root, crate_name, &cycles(&edges), &edges);
    }
    assert!(n_modules > 30, "read only {n_modules} modules");
    assert!(
        report.is_empty(),
        "import circles (a cycle through each group of modules that import each other):\n{report}"
    );
}

#[test]
fn the_checker_sees_circles() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    std::fs::create_dir_all(src.join("a")).unwrap();
    let files = [
        ("lib.rs", "pub mod a;\npub mod b;\nmod c;\n"),
        ("a/mod.rs", "pub mod x;\npub mod y;\npub use x::Thing;\n"),
        // y names x's item through a's re-export; x uses y: a circle between siblings.
        ("a/x.rs", "use super::y::f; // crate::b in a comment\npub struct Thing;\n"),
        ("a/y.rs", "pub fn f() { let s = \"crate::b::g\"; let _ = crate::a::Thing; }\n"),
        // b and c name each other, one in code, one in a use tree; c's tests use super.
        ("b.rs", "pub fn g() { crate::c::h() }\n"),
        ("c.rs", "use crate::{a::x, b::{self, g}};\npub fn h() {}\n#[cfg(test)]\nmod tests { use super::*; }\n"),
    ];
    for (f, text) in files {
        std::fs::write(src.join(f), text).unwrap();
    }
    let krate = read_crate(&src.join("lib.rs"));
    assert_eq!(krate.modules.len(), 6);
    let edges = krate.edges();
    let found = cycles(&edges);
    let text = describe(dir.path(), "lib", &found, &edges);
    assert_eq!(found.len(), 2, "{text}");
    assert!(text.contains("a::x -> a::y -> a::x") && text.contains("b -> c -> b"), "{text}");
    assert!(text.contains("a::y -> a::x: src/a/y.rs:1 `crate::a::Thing`"), "{text}");
    assert!(!edges.contains_key(&(vec!["a".to_string()], vec!["a".to_string(), "x".to_string()])));
}
