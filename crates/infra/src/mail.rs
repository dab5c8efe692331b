//! Email out: SMTP through `lettre`, bodies from `minijinja` templates; or, with no SMTP
//! server configured, a line in the log per email (never its address or body).

use async_trait::async_trait;
use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use minijinja::{Environment, context};
use zenops_domain::notification::email::{Email, MailError, Mailer, Sent};

/// The email bodies, built into the binary.
fn templates() -> Environment<'static> {
    let mut env = Environment::new();
    // `.html` templates escape what they insert; `.txt` ones do not.
    for (name, source) in [
        (
            "notification.txt",
            include_str!("../templates/email/notification.txt"),
        ),
        (
            "notification.html",
            include_str!("../templates/email/notification.html"),
        ),
    ] {
        if let Err(e) = env.add_template(name, source) {
            // The templates are part of the binary; a broken one is a build defect.
            panic!("email template {name} does not parse: {e}");
        }
    }
    env
}

/// An email's plain-text and HTML bodies.
pub fn render(email: &Email, app_url: Option<&str>) -> Result<(String, String), String> {
    let env = templates();
    let ctx = context! {
        name => email.to_name.trim(),
        message => email.message.as_str(),
        kind => email.kind.as_str(),
        app_url => app_url,
    };
    let text = env
        .get_template("notification.txt")
        .and_then(|t| t.render(&ctx))
        .map_err(|e| e.to_string())?;
    let html = env
        .get_template("notification.html")
        .and_then(|t| t.render(&ctx))
        .map_err(|e| e.to_string())?;
    Ok((text, html))
}

/// Sends through an SMTP server.
pub struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    app_url: Option<String>,
}

impl SmtpMailer {
    /// `url` is `smtp://host:port` (add `?tls=required` for STARTTLS) or `smtps://host:port`,
    /// with optional `user:password@`.
    pub fn new(url: &str, from: &str, app_url: Option<String>) -> Result<Self, String> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| format!("SMTP_URL: {e}"))?
            .timeout(Some(std::time::Duration::from_secs(20)))
            .build();
        let from: Mailbox = from
            .parse()
            .map_err(|e| format!("SMTP_FROM is not an email address: {e}"))?;
        Ok(Self {
            transport,
            from,
            app_url,
        })
    }
}

#[async_trait]
impl Mailer for SmtpMailer {
    async fn send(&self, email: &Email) -> Result<Sent, MailError> {
        let permanent = |reason: String| MailError {
            permanent: true,
            reason,
        };
        let address = email
            .to
            .parse()
            .map_err(|e| permanent(format!("bad recipient address: {e}")))?;
        let name = Some(email.to_name.trim().to_owned()).filter(|n| !n.is_empty());
        let (text, html) = render(email, self.app_url.as_deref()).map_err(permanent)?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(Mailbox::new(name, address))
            .subject(email.subject.as_str())
            .multipart(MultiPart::alternative_plain_html(text, html))
            .map_err(|e| permanent(format!("building the message: {e}")))?;
        match self.transport.send(message).await {
            Ok(response) => Ok(Sent::Delivered(
                response.first_line().map(|l| l.chars().take(255).collect()),
            )),
            Err(e) => Err(MailError {
                permanent: e.is_permanent(),
                reason: e.to_string(),
            }),
        }
    }
}

/// No SMTP server configured: each email is a log line (type and recipient id only).
pub struct LogMailer;

#[async_trait]
impl Mailer for LogMailer {
    async fn send(&self, email: &Email) -> Result<Sent, MailError> {
        tracing::info!(kind = %email.kind, subject_len = email.subject.len(), "email not sent: SMTP_URL is not set");
        Ok(Sent::Logged)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use zenops_domain::notification::NotificationType;

    #[test]
    fn bodies_carry_the_message_and_html_escapes_it() {
        let email = Email {
            to: "a@firm.test".into(),
            to_name: "Asha".into(),
            subject: "[Zen Ops] x".into(),
            kind: NotificationType::ApprovalPending,
            message: "Approval requested: <DELETE_ASSIGNMENT> & more".into(),
        };
        let (text, html) = render(&email, Some("https://ops.example")).unwrap();
        assert!(text.contains("Hello Asha,"));
        assert!(text.contains("Approval requested: <DELETE_ASSIGNMENT> & more"));
        assert!(text.contains("https://ops.example/notifications"));
        assert!(
            html.contains("&lt;DELETE_ASSIGNMENT&gt; &amp; more"),
            "{html}"
        );
        assert!(!html.contains("<DELETE_ASSIGNMENT>"));
    }
}
