//! Where the database is: the URL's sources (flag, environment, `.env` files), a parser that
//! understands Prisma's extra parameters, the redacted form that is the only one ever printed,
//! and the connection itself (plain or TLS, with a connect timeout).

use std::fmt;
use std::path::Path;
use std::time::Duration;

use native_tls::TlsConnector;
use postgres::config::SslMode;
use postgres_native_tls::MakeTlsConnector;
use serde::Serialize;

/// Prisma's default connect timeout, also ours.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Prisma's default `pool_timeout` for PostgreSQL (seconds in the URL).
pub const PRISMA_DEFAULT_POOL_TIMEOUT: Duration = Duration::from_secs(10);

/// Where the URL came from, for the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum UrlSource {
    Flag,
    Environment,
    File(String),
}

impl fmt::Display for UrlSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UrlSource::Flag => write!(f, "--database-url"),
            UrlSource::Environment => write!(f, "DATABASE_URL"),
            UrlSource::File(path) => write!(f, "DATABASE_URL in {path}"),
        }
    }
}

/// TLS as the URL asks for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TlsMode {
    Disable,
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

/// A parsed `postgres://` URL. The password is kept apart and never formatted.
#[derive(Clone)]
pub struct DbUrl {
    pub scheme: String,
    pub user: Option<String>,
    password: Option<String>,
    /// `(host, port)` pairs; a host starting with `/` is a Unix socket folder.
    pub hosts: Vec<(String, u16)>,
    pub dbname: Option<String>,
    /// Query parameters in order, values decoded.
    pub params: Vec<(String, String)>,
}

impl fmt::Debug for DbUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DbUrl({})", self.redacted())
    }
}

/// Parameters whose values are secrets.
const SECRET_PARAMS: &[&str] = &["password", "sslpassword"];

impl DbUrl {
    /// Parses `postgres://user:password@host:port/db?k=v`. The error never contains the input.
    pub fn parse(text: &str) -> Result<DbUrl, String> {
        let text = text.trim();
        let (scheme, rest) = text
            .split_once("://")
            .ok_or_else(|| "not a URL: expected postgresql://…".to_string())?;
        let scheme = scheme.to_ascii_lowercase();
        if scheme != "postgres" && scheme != "postgresql" {
            return Err(format!(
                "`{scheme}://` is not a PostgreSQL URL: expected postgresql:// or postgres://"
            ));
        }
        let (rest, query) = match rest.split_once('?') {
            Some((rest, query)) => (rest, Some(query)),
            None => (rest, None),
        };
        let (authority, path) = match rest.find('/') {
            Some(at) => (&rest[..at], Some(&rest[at + 1..])),
            None => (rest, None),
        };
        let (userinfo, hostlist) = match authority.rfind('@') {
            Some(at) => (Some(&authority[..at]), &authority[at + 1..]),
            None => (None, authority),
        };
        let (user, password) = match userinfo {
            Some(info) => match info.split_once(':') {
                Some((user, password)) => (
                    Some(decode(user).ok_or("the user name is not valid percent-encoding")?),
                    Some(decode(password).ok_or("the password is not valid percent-encoding")?),
                ),
                None => (
                    Some(decode(info).ok_or("the user name is not valid percent-encoding")?),
                    None,
                ),
            },
            None => (None, None),
        };
        let mut hosts = Vec::new();
        for part in hostlist.split(',').filter(|p| !p.is_empty()) {
            hosts.push(parse_host(part)?);
        }
        let dbname = match path {
            Some(p) if !p.is_empty() => {
                Some(decode(p).ok_or("the database name is not valid percent-encoding")?)
            }
            _ => None,
        };
        let mut params = Vec::new();
        if let Some(query) = query {
            for pair in query.split('&').filter(|p| !p.is_empty()) {
                let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
                let key = decode(key).ok_or("a parameter name is not valid percent-encoding")?;
                let value = decode(&value.replace('+', " "))
                    .ok_or_else(|| format!("parameter `{key}` is not valid percent-encoding"))?;
                params.push((key, value));
            }
        }
        let mut url = DbUrl {
            scheme,
            user,
            password,
            hosts,
            dbname,
            params,
        };
        // libpq allows the host, port, user and password as parameters too.
        if let Some(host) = url.param("host").map(str::to_string) {
            let port = url
                .param("port")
                .and_then(|p| p.parse().ok())
                .or(url.hosts.first().map(|h| h.1))
                .unwrap_or(5432);
            url.hosts = vec![(host, port)];
        }
        if url.hosts.is_empty() {
            url.hosts.push(("localhost".into(), 5432));
        }
        if url.user.is_none() {
            url.user = url.param("user").map(str::to_string);
        }
        if url.password.is_none() {
            url.password = url.param("password").map(str::to_string);
        }
        url.tls_mode()?;
        for key in ["connection_limit", "pool_timeout", "connect_timeout"] {
            if let Some(value) = url.param(key)
                && value.parse::<u64>().is_err()
            {
                return Err(format!("`{key}={value}` is not a whole number"));
            }
        }
        Ok(url)
    }

    pub fn param(&self, key: &str) -> Option<&str> {
        self.params
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    pub fn has_password(&self) -> bool {
        self.password.as_deref().is_some_and(|p| !p.is_empty())
    }

    /// The URL with the password (and any secret parameter) replaced by `***`.
    pub fn redacted(&self) -> String {
        let mut out = format!("{}://", self.scheme);
        if let Some(user) = &self.user {
            out.push_str(&encode(user));
            if self.password.is_some() {
                out.push_str(":***");
            }
            out.push('@');
        }
        let hosts: Vec<String> = self
            .hosts
            .iter()
            .map(|(host, port)| {
                if host.starts_with('/') {
                    String::new()
                } else if host.contains(':') {
                    format!("[{host}]:{port}")
                } else {
                    format!("{host}:{port}")
                }
            })
            .collect();
        out.push_str(&hosts.join(","));
        if let Some(db) = &self.dbname {
            out.push('/');
            out.push_str(&encode(db));
        }
        if !self.params.is_empty() {
            let params: Vec<String> = self
                .params
                .iter()
                .map(|(k, v)| {
                    if SECRET_PARAMS.contains(&k.as_str()) {
                        format!("{k}=***")
                    } else {
                        format!("{}={}", encode(k), encode(v))
                    }
                })
                .collect();
            out.push('?');
            out.push_str(&params.join("&"));
        }
        out
    }

    /// The URL with its password, for a child process that connects (never printed): the
    /// parameters `keep` accepts, then `extra`.
    pub fn connection_string(
        &self,
        keep: &dyn Fn(&str) -> bool,
        extra: &[(&str, String)],
    ) -> String {
        let mut out = format!("{}://", self.scheme);
        if let Some(user) = &self.user {
            out.push_str(&encode(user));
            if let Some(password) = &self.password {
                out.push(':');
                out.push_str(&encode(password));
            }
            out.push('@');
        }
        let (host, port) = &self.hosts[0];
        if !host.starts_with('/') {
            if host.contains(':') {
                out.push_str(&format!("[{host}]:{port}"));
            } else {
                out.push_str(&format!("{host}:{port}"));
            }
        }
        if let Some(db) = &self.dbname {
            out.push('/');
            out.push_str(&encode(db));
        }
        let mut params: Vec<String> = self
            .params
            .iter()
            .filter(|(k, _)| keep(k))
            .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
            .collect();
        if host.starts_with('/') {
            params.push(format!("host={}", encode(host)));
        }
        params.extend(
            extra
                .iter()
                .map(|(k, v)| format!("{}={}", encode(k), encode(v))),
        );
        if !params.is_empty() {
            out.push('?');
            out.push_str(&params.join("&"));
        }
        out
    }

    /// `host:port` of the first host, for messages.
    pub fn host_port(&self) -> String {
        let (host, port) = &self.hosts[0];
        if host.starts_with('/') {
            format!("{host}/.s.PGSQL.{port}")
        } else if host.contains(':') {
            format!("[{host}]:{port}")
        } else {
            format!("{host}:{port}")
        }
    }

    /// Prisma's `connection_limit`.
    pub fn connection_limit(&self) -> Option<usize> {
        self.param("connection_limit").and_then(|v| v.parse().ok())
    }

    /// Prisma's `pool_timeout` (seconds; 0 means wait forever). Default 10 s.
    pub fn pool_timeout(&self) -> Option<Duration> {
        match self
            .param("pool_timeout")
            .and_then(|v| v.parse::<u64>().ok())
        {
            Some(0) => None,
            Some(secs) => Some(Duration::from_secs(secs)),
            None => Some(PRISMA_DEFAULT_POOL_TIMEOUT),
        }
    }

    /// Prisma's `schema` (the application's schema; verify never touches it).
    pub fn app_schema(&self) -> &str {
        self.param("schema").unwrap_or("public")
    }

    pub fn connect_timeout(&self) -> Duration {
        match self
            .param("connect_timeout")
            .and_then(|v| v.parse::<u64>().ok())
        {
            Some(0) | None => DEFAULT_CONNECT_TIMEOUT,
            Some(secs) => Duration::from_secs(secs),
        }
    }

    pub fn tls_mode(&self) -> Result<TlsMode, String> {
        Ok(match self.param("sslmode") {
            None | Some("prefer") => TlsMode::Prefer,
            Some("disable") => TlsMode::Disable,
            Some("require") => TlsMode::Require,
            Some("verify-ca") => TlsMode::VerifyCa,
            Some("verify-full") => TlsMode::VerifyFull,
            // libpq's `allow` tries without TLS first; plain then.
            Some("allow") => TlsMode::Prefer,
            Some(other) => {
                return Err(format!(
                    "`sslmode={other}` is not one of disable, allow, prefer, require, verify-ca, verify-full"
                ));
            }
        })
    }

    /// The driver configuration and the TLS connector for this URL.
    pub fn client_config(&self) -> Result<(postgres::Config, MakeTlsConnector), String> {
        let mut config = postgres::Config::new();
        for (host, port) in &self.hosts {
            if host.starts_with('/') {
                config.host_path(host);
            } else {
                config.host(host);
            }
            config.port(*port);
        }
        if let Some(user) = &self.user {
            config.user(user);
        }
        if let Some(password) = &self.password {
            config.password(password);
        }
        if let Some(db) = &self.dbname {
            config.dbname(db);
        }
        // The process id tells an administrator (and the tests) which run a backend belongs to.
        let name = match self.param("application_name") {
            Some(name) => name.to_string(),
            None => format!("pgshift verify {}", std::process::id()),
        };
        config.application_name(&name);
        if let Some(options) = self.param("options") {
            config.options(options);
        }
        config.connect_timeout(self.connect_timeout());
        let mode = self.tls_mode()?;
        config.ssl_mode(match mode {
            TlsMode::Disable => SslMode::Disable,
            TlsMode::Prefer => SslMode::Prefer,
            TlsMode::Require | TlsMode::VerifyCa | TlsMode::VerifyFull => SslMode::Require,
        });
        // Prisma's `sslaccept` defaults to accepting any certificate, as libpq's `require` does.
        let strict = self.param("sslaccept") == Some("strict");
        let mut tls = TlsConnector::builder();
        match mode {
            TlsMode::VerifyFull => {}
            TlsMode::VerifyCa => {
                tls.danger_accept_invalid_hostnames(true);
            }
            _ if strict => {}
            _ => {
                tls.danger_accept_invalid_certs(true);
                tls.danger_accept_invalid_hostnames(true);
            }
        }
        for key in ["sslrootcert", "sslcert"] {
            if let Some(path) = self.param(key) {
                let pem = std::fs::read(path)
                    .map_err(|e| format!("cannot read `{key}` file {path}: {e}"))?;
                let cert = native_tls::Certificate::from_pem(&pem)
                    .map_err(|e| format!("`{key}` file {path} is not a PEM certificate: {e}"))?;
                tls.add_root_certificate(cert);
            }
        }
        let connector = tls.build().map_err(|e| format!("cannot set up TLS: {e}"))?;
        Ok((config, MakeTlsConnector::new(connector)))
    }
}

fn parse_host(part: &str) -> Result<(String, u16), String> {
    let (host, port) = if let Some(rest) = part.strip_prefix('[') {
        let (host, after) = rest
            .split_once(']')
            .ok_or("an IPv6 host lacks its closing `]`")?;
        (host.to_string(), after.strip_prefix(':'))
    } else {
        match part.rsplit_once(':') {
            Some((host, port)) => (decode(host).ok_or("bad host")?, Some(port)),
            None => (decode(part).ok_or("bad host")?, None),
        }
    };
    let port = match port {
        Some(p) if !p.is_empty() => p
            .parse()
            .map_err(|_| format!("port `{p}` is not a number"))?,
        _ => 5432,
    };
    Ok((host, port))
}

fn decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = text.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

fn encode(text: &str) -> String {
    let mut out = String::new();
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~/".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// What was looked at while finding the URL, for the error when nothing fits.
#[derive(Debug, Default)]
pub struct Search {
    pub tried: Vec<String>,
}

/// Finds the database URL: the flag, else `DATABASE_URL`, else `ROOT/.env.postgresql`, else
/// `ROOT/.env` — the first that is a PostgreSQL URL.
pub fn find_url(
    flag: Option<&str>,
    env: Option<&str>,
    root: &Path,
) -> Result<(DbUrl, UrlSource), String> {
    if let Some(flag) = flag {
        return DbUrl::parse(flag)
            .map(|url| (url, UrlSource::Flag))
            .map_err(|e| format!("--database-url: {e}"));
    }
    let mut tried = Vec::new();
    if let Some(env) = env {
        if is_postgres_url(env) {
            return DbUrl::parse(env)
                .map(|url| (url, UrlSource::Environment))
                .map_err(|e| format!("DATABASE_URL: {e}"));
        }
        tried.push(format!("DATABASE_URL is {}", describe_non_pg(env)));
    } else {
        tried.push("DATABASE_URL is not set".to_string());
    }
    for name in [".env.postgresql", ".env"] {
        let path = root.join(name);
        let shown = path.display().to_string();
        let Ok(text) = std::fs::read_to_string(&path) else {
            tried.push(format!("{shown} does not exist"));
            continue;
        };
        match dotenv_value(&text, "DATABASE_URL") {
            Some(value) if is_postgres_url(&value) => {
                return DbUrl::parse(&value)
                    .map(|url| (url, UrlSource::File(shown.clone())))
                    .map_err(|e| format!("DATABASE_URL in {shown}: {e}"));
            }
            Some(value) => tried.push(format!(
                "DATABASE_URL in {shown} is {}",
                describe_non_pg(&value)
            )),
            None => tried.push(format!("{shown} has no DATABASE_URL")),
        }
    }
    Err(format!(
        "no PostgreSQL database URL: {}. Pass --database-url postgresql://USER:PASSWORD@HOST:5432/DB or set DATABASE_URL",
        tried.join("; ")
    ))
}

fn is_postgres_url(value: &str) -> bool {
    let lower = value.trim().to_ascii_lowercase();
    lower.starts_with("postgres://") || lower.starts_with("postgresql://")
}

/// A short, secret-free description of a value that is not a PostgreSQL URL.
fn describe_non_pg(value: &str) -> String {
    match value.split_once(':') {
        Some((scheme, _))
            if !scheme.is_empty() && scheme.chars().all(|c| c.is_ascii_alphanumeric()) =>
        {
            format!("a `{scheme}:` URL, not PostgreSQL")
        }
        _ => "not a PostgreSQL URL".to_string(),
    }
}

/// The value of `key` in a dotenv file (last assignment wins, as in dotenv).
pub fn dotenv_value(text: &str, key: &str) -> Option<String> {
    let mut found = None;
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").unwrap_or(line).trim_start();
        let Some((name, value)) = line.split_once('=') else {
            continue;
        };
        if name.trim() != key {
            continue;
        }
        let value = value.trim();
        let parsed = if let Some(rest) = value.strip_prefix('"') {
            let end = rest.rfind('"').unwrap_or(rest.len());
            rest[..end].replace("\\n", "\n").replace("\\\"", "\"")
        } else if let Some(rest) = value.strip_prefix('\'') {
            let end = rest.rfind('\'').unwrap_or(rest.len());
            rest[..end].to_string()
        } else {
            match value.find(" #") {
                Some(at) => value[..at].trim_end().to_string(),
                None => value.to_string(),
            }
        };
        found = Some(parsed);
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_prisma_urls_and_redacts_the_password() {
        let url = DbUrl::parse(
            "postgresql://materio:materio%40123@localhost:5433/materio?schema=app&connection_limit=7&pool_timeout=3&sslmode=require",
        )
        .unwrap();
        assert_eq!(url.user.as_deref(), Some("materio"));
        assert_eq!(url.password.as_deref(), Some("materio@123"));
        assert_eq!(url.hosts, vec![("localhost".to_string(), 5433)]);
        assert_eq!(url.dbname.as_deref(), Some("materio"));
        assert_eq!(url.app_schema(), "app");
        assert_eq!(url.connection_limit(), Some(7));
        assert_eq!(url.pool_timeout(), Some(Duration::from_secs(3)));
        assert_eq!(url.tls_mode().unwrap(), TlsMode::Require);
        let shown = url.redacted();
        assert!(!shown.contains("materio@123") && !shown.contains("materio%40123"));
        assert_eq!(
            shown,
            "postgresql://materio:***@localhost:5433/materio?schema=app&connection_limit=7&pool_timeout=3&sslmode=require"
        );
        assert!(!format!("{url:?}").contains("123"));
    }

    #[test]
    fn defaults_and_errors() {
        let url = DbUrl::parse("postgres://u@[::1]/db").unwrap();
        assert_eq!(url.hosts, vec![("::1".to_string(), 5432)]);
        assert_eq!(url.pool_timeout(), Some(PRISMA_DEFAULT_POOL_TIMEOUT));
        assert_eq!(url.connect_timeout(), DEFAULT_CONNECT_TIMEOUT);
        assert_eq!(url.redacted(), "postgres://u@[::1]:5432/db");
        assert!(DbUrl::parse("mysql://u:p@h/db").is_err());
        let err = DbUrl::parse("postgresql://u:secret@h:port/db").unwrap_err();
        assert!(!err.contains("secret"));
        let socket = DbUrl::parse("postgresql:///db?host=/var/run/postgresql").unwrap();
        assert_eq!(socket.hosts[0].0, "/var/run/postgresql");
    }

    #[test]
    fn dotenv_values() {
        let text =
            "# comment\nexport DATABASE_URL=\"postgresql://a:b@h/db?schema=public\"\nOTHER=1\n";
        assert_eq!(
            dotenv_value(text, "DATABASE_URL").as_deref(),
            Some("postgresql://a:b@h/db?schema=public")
        );
        assert_eq!(
            dotenv_value("DATABASE_URL=file:./dev.db # sqlite", "DATABASE_URL").as_deref(),
            Some("file:./dev.db")
        );
    }

    #[test]
    fn url_sources_in_order() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(".env"), "DATABASE_URL=\"file:./dev.db\"\n").unwrap();
        let err = find_url(None, Some("file:x.db"), dir.path()).unwrap_err();
        assert!(err.contains("a `file:` URL"), "{err}");
        std::fs::write(
            dir.path().join(".env.postgresql"),
            "DATABASE_URL=\"postgresql://m:pw@localhost:5432/m?schema=public\"\n",
        )
        .unwrap();
        let (url, source) = find_url(None, Some("file:x.db"), dir.path()).unwrap();
        assert!(matches!(source, UrlSource::File(_)));
        assert_eq!(url.dbname.as_deref(), Some("m"));
        let (_, source) = find_url(None, Some("postgres://e@h/db"), dir.path()).unwrap();
        assert_eq!(source, UrlSource::Environment);
        let (_, source) = find_url(Some("postgres://f@h/db"), None, dir.path()).unwrap();
        assert_eq!(source, UrlSource::Flag);
    }
}
