//! The one error type of the domain layer. Every adapter maps into it and the API maps it
//! to HTTP in one place.

use std::fmt;

/// A problem with one input field, reported back to the caller by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

/// All field problems found in one input, so a form can show them together.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldErrors(Vec<FieldError>);

impl FieldErrors {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn single(field: &str, message: impl Into<String>) -> Self {
        let mut errors = Self::new();
        errors.add(field, message);
        errors
    }

    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        self.0.push(FieldError {
            field: field.to_owned(),
            message: message.into(),
        });
    }

    /// Records the error of a parse, or returns its value.
    pub fn check<T>(&mut self, field: &str, result: Result<T, String>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(message) => {
                self.add(field, message);
                None
            }
        }
    }

    /// Whether a problem is already recorded on `field`.
    pub fn has(&self, field: &str) -> bool {
        self.0.iter().any(|e| e.field == field)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &FieldError> {
        self.0.iter()
    }

    /// `Ok(())` when nothing was recorded, otherwise the collected errors.
    pub fn into_result(self) -> Result<(), DomainError> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(DomainError::Validation(self))
        }
    }
}

impl fmt::Display for FieldErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self
            .0
            .iter()
            .map(|e| format!("{}: {}", e.field, e.message))
            .collect();
        write!(f, "{}", parts.join("; "))
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DomainError {
    /// The input is malformed; each field says why.
    #[error("Invalid input: {0}")]
    Validation(FieldErrors),
    /// A well-formed request that the rules refuse (e.g. wrong credentials).
    #[error("{detail}")]
    Rejected { code: &'static str, detail: String },
    /// The named thing does not exist (or the actor may not know it exists).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The request clashes with the current state: a duplicate, a reference, a rule.
    #[error("{detail}")]
    Conflict { code: &'static str, detail: String },
    /// No valid session: missing, malformed, expired or revoked token, or inactive user.
    #[error("{0}")]
    Unauthenticated(&'static str),
    /// Someone being given work is on approved leave; the caller may confirm and override.
    #[error("Assignee is on approved leave")]
    OnLeave(crate::leave::LeaveConflict),
    /// An upload is larger than the limit; nothing was kept.
    #[error("The file is larger than the limit of {limit_bytes} bytes")]
    TooLarge { limit_bytes: u64 },
    /// An upload's content is of a type that is not accepted; nothing was kept.
    #[error("{0}")]
    Unsupported(String),
    /// The actor is known but lacks the permission.
    #[error("{0}")]
    Forbidden(String),
    /// Too many attempts; the caller may retry after the given number of seconds.
    #[error("Too many attempts; try again in {retry_after_secs} seconds")]
    Throttled { retry_after_secs: u64 },
    /// A fault outside the rules (database down, IO). Never shown to the caller; the
    /// cause keeps its own source chain so the log can show all of it.
    #[error("unexpected error: {0}")]
    Unexpected(#[source] Box<dyn std::error::Error + Send + Sync + 'static>),
}

impl DomainError {
    pub fn conflict(code: &'static str, detail: impl Into<String>) -> Self {
        Self::Conflict {
            code,
            detail: detail.into(),
        }
    }

    pub fn rejected(code: &'static str, detail: impl Into<String>) -> Self {
        Self::Rejected {
            code,
            detail: detail.into(),
        }
    }

    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        Self::Validation(FieldErrors::single(field, message))
    }

    /// Wraps a fault the rules cannot explain, keeping it (and its sources) for the log.
    pub fn unexpected(
        cause: impl Into<Box<dyn std::error::Error + Send + Sync + 'static>>,
    ) -> Self {
        Self::Unexpected(cause.into())
    }
}

pub type DomainResult<T> = Result<T, DomainError>;
