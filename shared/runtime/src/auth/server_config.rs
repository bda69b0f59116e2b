//! The nats-server configuration that enforces the permission matrix: an
//! `authorization` block with one nkey user per role (public keys only, so
//! the file holds no secret), and optionally a `tls` block. Without a
//! matching nkey the server refuses a connection: there is no anonymous
//! user.

use std::fmt::Write;
use std::path::{Path, PathBuf};

use super::{Permissions, Role, permissions};

/// One user of the server: a public nkey and what it may do (`None`: no
/// limits, which only tests use, to watch every subject).
#[derive(Debug, Clone)]
pub struct User {
    pub comment: String,
    pub public_key: String,
    pub permissions: Option<Permissions>,
}

impl User {
    /// The registry's user for `role`, identified by `public_key`.
    pub fn for_role(role: Role, public_key: &str) -> Self {
        Self {
            comment: role.name().to_owned(),
            public_key: public_key.to_owned(),
            permissions: Some(permissions(role)),
        }
    }
}

/// TLS for client connections: the server's certificate and key, and
/// optionally a CA whose client certificates it then requires.
#[derive(Debug, Clone)]
pub struct ServerTls {
    pub cert_file: PathBuf,
    pub key_file: PathBuf,
    pub client_ca_file: Option<PathBuf>,
}

#[derive(Debug, thiserror::Error)]
#[error(
    "the path {0} cannot be written into a NATS configuration (it contains a quote, backslash or line break)"
)]
pub struct UnquotablePath(pub PathBuf);

/// A string in the configuration's syntax: double-quoted, so that `$` in
/// `$JS.API...` is not read as a variable.
fn quoted(text: &str) -> String {
    format!("\"{text}\"")
}

fn quoted_path(path: &Path) -> Result<String, UnquotablePath> {
    let text = path.display().to_string();
    if text.contains(['"', '\\', '\n', '\r']) {
        return Err(UnquotablePath(path.to_owned()));
    }
    Ok(quoted(&text))
}

fn list(subjects: &[String]) -> String {
    let items: Vec<String> = subjects.iter().map(|s| quoted(s)).collect();
    format!("[{}]", items.join(", "))
}

/// The `authorization` block for `users`.
pub fn authorization(users: &[User]) -> String {
    let mut text = String::from(
        "# Written by efa: one NATS user per service, identified by its nkey.\n\
         # Public keys only; the seeds stay in the services' data directories.\n\
         # A connection without one of these keys is refused.\n\
         authorization {\n  users = [\n",
    );
    for user in users {
        let _ = writeln!(text, "    # {}", user.comment);
        let _ = writeln!(text, "    {{ nkey: {}", quoted(&user.public_key));
        if let Some(granted) = &user.permissions {
            let _ = writeln!(text, "      permissions: {{");
            let _ = writeln!(
                text,
                "        publish: {{ allow: {} }}",
                list(&granted.publish)
            );
            let _ = writeln!(
                text,
                "        subscribe: {{ allow: {} }}",
                list(&granted.subscribe)
            );
            let _ = writeln!(text, "      }}");
        }
        let _ = writeln!(text, "    }}");
    }
    text.push_str("  ]\n}\n");
    text
}

/// The `tls` block.
pub fn tls(tls: &ServerTls) -> Result<String, UnquotablePath> {
    let mut text = String::from("tls {\n");
    let _ = writeln!(text, "  cert_file: {}", quoted_path(&tls.cert_file)?);
    let _ = writeln!(text, "  key_file: {}", quoted_path(&tls.key_file)?);
    if let Some(ca) = &tls.client_ca_file {
        let _ = writeln!(text, "  ca_file: {}", quoted_path(ca)?);
        text.push_str("  verify: true\n");
    }
    text.push_str("  timeout: 2\n}\n");
    Ok(text)
}

/// A whole configuration: `base` (limits, JetStream), then the users'
/// authorization, then TLS if given.
pub fn render(
    base: &str,
    users: &[User],
    with_tls: Option<&ServerTls>,
) -> Result<String, UnquotablePath> {
    let mut text = base.trim_end().to_owned();
    text.push_str("\n\n");
    text.push_str(&authorization(users));
    if let Some(server_tls) = with_tls {
        text.push('\n');
        text.push_str(&tls(server_tls)?);
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::Role;

    #[test]
    fn services_answer_into_inboxes_without_the_response_permission() {
        let users = [
            User::for_role(Role::Projector, "UPROJECTOR"),
            User::for_role(Role::Gateway, "UGATEWAY"),
        ];
        let text = authorization(&users);
        // The response permission would let a caller name any subject as
        // the one an answer goes to; answers go to inboxes by name, at any
        // time (a rebuild answers after minutes).
        assert!(!text.contains("allow_responses"), "{text}");
        let projector = text
            .split("{ nkey: \"UGATEWAY\"")
            .next()
            .unwrap_or_default();
        assert!(projector.contains("\"_INBOX.gateway.>\""), "{text}");
    }
}
