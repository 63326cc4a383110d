//! Where the schema and the SQLite file are, when the command line does not say: the schema
//! where Prisma looks for it, the SQLite file from its datasource URL (Prisma ≤ 6:
//! `url = "file:…"` or `env("DATABASE_URL")` in the schema, relative to the schema file;
//! Prisma 7: the `url` of `prisma.config.ts`, relative to that file).

use std::path::{Path, PathBuf};

use crate::prisma_model::{Schema, UrlValue};
use crate::verify::config::dotenv_value;

/// The schema (a file or a folder) and the SQLite file, with how each was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located {
    pub schema: PathBuf,
    pub sqlite: PathBuf,
    pub sqlite_from: String,
}

/// Finds what the flags leave out. `env` looks up environment variables.
pub fn locate(
    root: &Path,
    schema_flag: Option<&Path>,
    from_flag: Option<&Path>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Located, String> {
    let schema = match schema_flag {
        Some(path) => path.to_path_buf(),
        None => crate::prisma_schema::find_schema(root)
            .map(|rel| root.join(rel))
            .or_else(|| {
                let folder = root.join("prisma/schema");
                folder.is_dir().then_some(folder)
            })
            .ok_or_else(|| {
                format!(
                    "no Prisma schema under {} (looked for package.json's prisma.schema, prisma/schema.prisma, schema.prisma, prisma/schema/); pass --schema FILE",
                    root.display()
                )
            })?,
    };
    if let Some(from) = from_flag {
        return Ok(Located {
            schema,
            sqlite: from.to_path_buf(),
            sqlite_from: "--from".into(),
        });
    }
    let schema_dir = if schema.is_dir() {
        schema.clone()
    } else {
        schema.parent().map(Path::to_path_buf).unwrap_or_default()
    };
    let from_env = |var: &str| -> Option<(String, String)> {
        if let Some(v) = env(var) {
            return Some((v, var.to_string()));
        }
        for dotenv in [root.join(".env"), schema_dir.join(".env")] {
            if let Ok(text) = std::fs::read_to_string(&dotenv)
                && let Some(v) = dotenv_value(&text, var)
            {
                return Some((v, format!("{var} in {}", dotenv.display())));
            }
        }
        None
    };
    // Prisma 7: the datasource lives in prisma.config.ts.
    let config = root.join("prisma.config.ts");
    let text = if schema.is_dir() {
        String::new()
    } else {
        std::fs::read_to_string(&schema).unwrap_or_default()
    };
    let from_schema = Schema::parse(&text)
        .ok()
        .and_then(|s| s.datasource().and_then(|d| d.url.clone()));
    let (url, how, base) = match from_schema {
        Some(UrlValue::Literal(url)) => (url, format!("the datasource url in {}", schema.display()), schema_dir.clone()),
        Some(UrlValue::Env(var)) => {
            let (url, how) = from_env(&var).ok_or_else(|| {
                format!("the schema's datasource url is env(\"{var}\"), which is not set (nor in .env); pass --from SQLITE_FILE")
            })?;
            (url, how, schema_dir.clone())
        }
        None => {
            let config_text = std::fs::read_to_string(&config).map_err(|_| {
                format!(
                    "the schema {} names no datasource url and there is no {}; pass --from SQLITE_FILE",
                    schema.display(),
                    config.display()
                )
            })?;
            let env_var = regex::Regex::new(r#"url\s*:\s*env\(\s*["'](\w+)["']"#)
                .expect("a valid regex")
                .captures(&config_text)
                .map(|c| c[1].to_string());
            let literal = regex::Regex::new(r#"url\s*:\s*["']([^"']+)["']"#)
                .expect("a valid regex")
                .captures(&config_text)
                .map(|c| c[1].to_string());
            let base = root.to_path_buf();
            match (literal, env_var) {
                (Some(url), _) => (url, format!("the datasource url in {}", config.display()), base),
                (None, Some(var)) => {
                    let (url, how) = from_env(&var).ok_or_else(|| {
                        format!("{} reads the url from {var}, which is not set (nor in .env); pass --from SQLITE_FILE", config.display())
                    })?;
                    (url, how, base)
                }
                (None, None) => {
                    return Err(format!(
                        "cannot read the datasource url from {}; pass --from SQLITE_FILE",
                        config.display()
                    ));
                }
            }
        }
    };
    let Some(file) = url.strip_prefix("file:") else {
        return Err(format!(
            "{how} is not a SQLite `file:` URL; pass --from SQLITE_FILE"
        ));
    };
    let file = file.split('?').next().unwrap_or(file);
    let path = Path::new(file);
    let sqlite = if path.is_absolute() {
        path.to_path_buf()
    } else {
        base.join(path)
    };
    Ok(Located {
        schema,
        sqlite,
        sqlite_from: how,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prisma_6_literal_and_env_urls_are_relative_to_the_schema() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("prisma")).unwrap();
        std::fs::write(
            dir.path().join("prisma/schema.prisma"),
            "datasource db {\n  provider = \"sqlite\"\n  url = \"file:./dev.db\"\n}\n",
        )
        .unwrap();
        let found = locate(dir.path(), None, None, &|_| None).unwrap();
        assert_eq!(found.sqlite, dir.path().join("prisma/./dev.db"));
        std::fs::write(
            dir.path().join("prisma/schema.prisma"),
            "datasource db {\n  provider = \"sqlite\"\n  url = env(\"DATABASE_URL\")\n}\n",
        )
        .unwrap();
        assert!(locate(dir.path(), None, None, &|_| None).is_err());
        std::fs::write(dir.path().join(".env"), "DATABASE_URL=\"file:data/app.db\"\n").unwrap();
        let found = locate(dir.path(), None, None, &|_| None).unwrap();
        assert_eq!(found.sqlite, dir.path().join("prisma/data/app.db"));
        let found = locate(dir.path(), None, None, &|_| Some("file:/abs/x.db".into())).unwrap();
        assert_eq!(found.sqlite, PathBuf::from("/abs/x.db"));
        let flag = locate(dir.path(), None, Some(Path::new("other.db")), &|_| None).unwrap();
        assert_eq!(flag.sqlite, PathBuf::from("other.db"));
    }

    #[test]
    fn prisma_7_config() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("prisma")).unwrap();
        std::fs::write(
            dir.path().join("prisma/schema.prisma"),
            "datasource db {\n  provider = \"sqlite\"\n}\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("prisma.config.ts"),
            "export default defineConfig({ datasource: { url: env(\"DATABASE_URL\") } })\n",
        )
        .unwrap();
        let found = locate(dir.path(), None, None, &|_| Some("file:./dev.db".into())).unwrap();
        assert_eq!(found.sqlite, dir.path().join("./dev.db"));
    }
}
