//! Password hashing (argon2id) and generated secrets.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use rand::Rng as _;
use rand::rngs::OsRng;

/// Hashes a password with argon2id (the crate's OWASP-recommended defaults).
pub fn hash(password: &str) -> Result<String, String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| e.to_string())
}

/// Checks a password against a stored PHC string; false on any mismatch or
/// malformed hash.
pub fn verify(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|h| {
        Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

/// Checks a chosen password: 10 to 128 characters, not only digits.
pub fn check_strength(password: &str) -> Result<(), &'static str> {
    let n = password.chars().count();
    if n < 10 {
        return Err("password must be at least 10 characters");
    }
    if n > 128 {
        return Err("password must be at most 128 characters");
    }
    if password.chars().all(|c| c.is_ascii_digit()) {
        return Err("password cannot be only digits");
    }
    Ok(())
}

/// A random password people can type: 16 characters without look-alikes.
pub fn generate() -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = OsRng;
    (0..16)
        .map(|_| char::from(ALPHABET[rng.gen_range(0..ALPHABET.len())]))
        .collect()
}

/// `n` random bytes from the operating system.
pub fn random_bytes(n: usize) -> Vec<u8> {
    let mut v = vec![0u8; n];
    OsRng.fill(v.as_mut_slice());
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_only_its_own_password() {
        let h = hash("correct horse battery").expect("hash");
        assert!(h.starts_with("$argon2id$"));
        assert!(verify("correct horse battery", &h));
        assert!(!verify("wrong horse battery", &h));
        assert!(!verify("correct horse battery", "not-a-hash"));
    }

    #[test]
    fn generated_passwords_are_strong_and_different() {
        let a = generate();
        assert_eq!(a.len(), 16);
        assert!(check_strength(&a).is_ok());
        assert_ne!(a, generate());
    }

    #[test]
    fn weak_passwords_are_refused() {
        assert!(check_strength("short").is_err());
        assert!(check_strength("12345678901").is_err());
        assert!(check_strength(&"x".repeat(129)).is_err());
        assert!(check_strength("long enough pass").is_ok());
    }
}
