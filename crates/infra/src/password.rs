//! argon2id password hashing behind the domain's `PasswordHasher` port.

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
use zenops_domain::DomainError;
use zenops_domain::user::{NewPassword, PasswordHash, PasswordHasher};

/// argon2id with the crate's default (OWASP-recommended) parameters and a random salt.
#[derive(Debug, Clone, Default)]
pub struct Argon2Hasher;

impl PasswordHasher for Argon2Hasher {
    fn hash(&self, password: &NewPassword) -> Result<PasswordHash, DomainError> {
        Argon2::default()
            .hash_password(password.expose().as_bytes())
            .map(|phc| PasswordHash(phc.to_string()))
            .map_err(DomainError::unexpected)
    }

    fn verify(&self, password: &str, hash: &PasswordHash) -> bool {
        // The parameters stored in the hash are used, so old hashes keep verifying if the
        // defaults change.
        Argon2::default()
            .verify_password(password.as_bytes(), hash.0.as_str())
            .is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_and_are_salted() {
        let hasher = Argon2Hasher;
        let password = NewPassword::parse("Corr3ct!Horse").unwrap();
        let first = hasher.hash(&password).unwrap();
        let second = hasher.hash(&password).unwrap();
        assert!(first.0.starts_with("$argon2id$"));
        assert_ne!(first, second);
        assert!(hasher.verify("Corr3ct!Horse", &first));
        assert!(!hasher.verify("wrong", &first));
        assert!(!hasher.verify("Corr3ct!Horse", &PasswordHash("garbage".into())));
    }
}
