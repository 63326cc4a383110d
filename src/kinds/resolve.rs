//! Module specifiers to project files, the way TypeScript resolves them for a bundler-style
//! project: relative paths, `tsconfig.json` `paths` aliases (e.g. `@/*` → `src/*`) and
//! `baseUrl`, with the usual extensions and `index` files. Only files of the project count.

use std::path::Path;

const EXTENSIONS: &[&str] = &[
    ".ts", ".tsx", ".d.ts", ".mts", ".cts", ".js", ".jsx", ".mjs", ".cjs",
];

/// What a specifier resolved to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolved {
    /// A file of the project (relative, `/`-separated).
    File(String),
    /// Looked like a project path (relative, or matched an alias) but no file is there.
    Missing,
    /// A package or anything else outside the project.
    External,
}

/// Resolves specifiers against the project's files on disk and `tsconfig.json`.
#[derive(Debug, Default)]
pub struct Resolver {
    /// The project root, which candidate paths are looked up under. Only files the rename
    /// rule's prefilter let through are resolved from, so a lookup per import is cheap next to
    /// holding the list of every file of a large repository.
    root: std::path::PathBuf,
    /// `paths` entries: the pattern and its targets, relative to the project root.
    paths: Vec<(String, Vec<String>)>,
    /// `baseUrl`, relative to the project root, when set.
    base_url: Option<String>,
}

impl Resolver {
    /// A resolver for the project at `root`; reads `root/tsconfig.json` (comments and trailing
    /// commas allowed) when there is one.
    pub fn new(root: &Path) -> Resolver {
        let mut resolver = Resolver {
            root: root.to_path_buf(),
            ..Resolver::default()
        };
        let Ok(text) = std::fs::read_to_string(root.join("tsconfig.json")) else {
            return resolver;
        };
        let Ok(config) = serde_json::from_str::<serde_json::Value>(&strip_jsonc(&text)) else {
            return resolver;
        };
        let options = &config["compilerOptions"];
        let base = options["baseUrl"]
            .as_str()
            .map(|b| normalize(b.trim_start_matches("./")));
        if let Some(paths) = options["paths"].as_object() {
            let prefix = base.clone().unwrap_or_default();
            for (pattern, targets) in paths {
                let targets = targets
                    .as_array()
                    .map(|list| {
                        list.iter()
                            .filter_map(|t| t.as_str())
                            .map(|t| normalize(&join(&prefix, t.trim_start_matches("./"))))
                            .collect()
                    })
                    .unwrap_or_default();
                resolver.paths.push((pattern.clone(), targets));
            }
        }
        resolver.base_url = base;
        resolver
    }

    /// Resolves `specifier` as imported from the file `from` (relative path).
    pub fn resolve(&self, from: &str, specifier: &str) -> Resolved {
        if specifier.starts_with("./")
            || specifier.starts_with("../")
            || specifier == "."
            || specifier == ".."
        {
            let dir = from.rsplit_once('/').map_or("", |(dir, _)| dir);
            return self
                .find(&normalize(&join(dir, specifier)))
                .map_or(Resolved::Missing, Resolved::File);
        }
        for (pattern, targets) in &self.paths {
            let captured = match pattern.split_once('*') {
                Some((head, tail)) => specifier
                    .strip_prefix(head)
                    .and_then(|rest| rest.strip_suffix(tail))
                    .map(str::to_string),
                None => (pattern == specifier).then(String::new),
            };
            let Some(captured) = captured else { continue };
            for target in targets {
                let candidate = target.replacen('*', &captured, 1);
                if let Some(file) = self.find(&normalize(&candidate)) {
                    return Resolved::File(file);
                }
            }
            return Resolved::Missing;
        }
        if let Some(base) = &self.base_url
            && let Some(file) = self.find(&normalize(&join(base, specifier)))
        {
            return Resolved::File(file);
        }
        Resolved::External
    }

    fn exists(&self, path: &str) -> bool {
        !path.is_empty() && self.root.join(path).is_file()
    }

    fn find(&self, path: &str) -> Option<String> {
        if self.exists(path) {
            return Some(path.to_string());
        }
        // ESM-style TypeScript imports name the emitted `.js` file.
        for (js, ts) in [
            (".js", ".ts"),
            (".js", ".tsx"),
            (".mjs", ".mts"),
            (".cjs", ".cts"),
            (".jsx", ".tsx"),
        ] {
            if let Some(stem) = path.strip_suffix(js) {
                let candidate = format!("{stem}{ts}");
                if self.exists(&candidate) {
                    return Some(candidate);
                }
            }
        }
        for ext in EXTENSIONS {
            let candidate = format!("{path}{ext}");
            if self.exists(&candidate) {
                return Some(candidate);
            }
        }
        for ext in EXTENSIONS {
            let candidate = if path.is_empty() {
                format!("index{ext}")
            } else {
                format!("{path}/index{ext}")
            };
            if self.exists(&candidate) {
                return Some(candidate);
            }
        }
        None
    }
}

fn join(dir: &str, path: &str) -> String {
    if dir.is_empty() {
        path.to_string()
    } else {
        format!("{dir}/{path}")
    }
}

/// Resolves `.` and `..` segments of a relative path.
fn normalize(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            other => parts.push(other),
        }
    }
    parts.join("/")
}

/// JSON with comments and trailing commas (tsconfig's dialect) to plain JSON.
fn strip_jsonc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    let mut in_string = false;
    while let Some(c) = chars.next() {
        if in_string {
            out.push(c);
            if c == '\\' {
                if let Some(next) = chars.next() {
                    out.push(next);
                }
            } else if c == '"' {
                in_string = false;
            }
            continue;
        }
        match c {
            '"' => {
                in_string = true;
                out.push(c);
            }
            '/' if chars.peek() == Some(&'/') => {
                for next in chars.by_ref() {
                    if next == '\n' {
                        out.push('\n');
                        break;
                    }
                }
            }
            '/' if chars.peek() == Some(&'*') => {
                chars.next();
                let mut previous = ' ';
                for next in chars.by_ref() {
                    if previous == '*' && next == '/' {
                        break;
                    }
                    previous = next;
                }
            }
            _ => out.push(c),
        }
    }
    // Trailing commas: a comma followed only by whitespace before `}` or `]`.
    let mut cleaned = String::with_capacity(out.len());
    let bytes: Vec<char> = out.chars().collect();
    let mut in_string = false;
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if in_string {
            cleaned.push(c);
            if c == '\\' && i + 1 < bytes.len() {
                cleaned.push(bytes[i + 1]);
                i += 1;
            } else if c == '"' {
                in_string = false;
            }
        } else if c == '"' {
            in_string = true;
            cleaned.push(c);
        } else if c == ',' {
            let next = bytes[i + 1..].iter().find(|c| !c.is_whitespace());
            if !matches!(next, Some('}') | Some(']')) {
                cleaned.push(c);
            }
        } else {
            cleaned.push(c);
        }
        i += 1;
    }
    cleaned
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_alias_and_index() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("tsconfig.json"),
            "{\n // comment\n \"compilerOptions\": { \"baseUrl\": \".\", \"paths\": { \"@/*\": [\"./src/*\"], }, },\n}",
        )
        .unwrap();
        for file in [
            "src/lib/db/retry.ts",
            "src/lib/db/index.ts",
            "src/app/route.ts",
        ] {
            let path = dir.path().join(file);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, "export {};\n").unwrap();
        }
        let resolver = Resolver::new(dir.path());
        assert_eq!(
            resolver.resolve("src/lib/db/index.ts", "./retry"),
            Resolved::File("src/lib/db/retry.ts".into())
        );
        assert_eq!(
            resolver.resolve("src/app/route.ts", "@/lib/db"),
            Resolved::File("src/lib/db/index.ts".into())
        );
        assert_eq!(
            resolver.resolve("src/app/route.ts", "../lib/db/retry.js"),
            Resolved::File("src/lib/db/retry.ts".into())
        );
        assert_eq!(
            resolver.resolve("src/app/route.ts", "@/lib/nope"),
            Resolved::Missing
        );
        assert_eq!(
            resolver.resolve("src/app/route.ts", "next/server"),
            Resolved::External
        );
    }
}
