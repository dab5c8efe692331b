//! argon2id password hashing behind the domain's `PasswordHasher` port.
//!
//! A hash or a check costs tens of milliseconds of CPU on purpose. Run on the threads that
//! serve HTTP, a burst of sign-ins would stall every other request behind it, so the work
//! goes to a [`BlockingPool`]: a fixed set of threads, one per core, that nothing else uses.
//! The pool's size bounds the hashes in flight, and so their memory: 19 MiB each at the
//! default cost, freed after each run (glibc's allocator used to keep several copies per
//! thread, hundreds of megabytes after a burst of sign-ins; the server now runs on
//! mimalloc, which gives them back).

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};

use argon2::password_hash::phc::{Output, ParamsString, Salt};
use argon2::{Algorithm, Argon2, Params, Version};
use async_trait::async_trait;
use tokio::sync::oneshot;
use zenops_domain::user::{NewPassword, PasswordHash, PasswordHasher};
use zenops_domain::{DomainError, DomainResult};

type Job = Box<dyn FnOnce() + Send>;

/// CPU-heavy jobs on a fixed set of threads of their own. Jobs beyond the thread count
/// wait in a queue (first come, first served) without holding any thread, and the callers
/// await them without blocking theirs. A fixed set rather than a runtime's elastic blocking
/// threads also bounds memory: each argon2 run takes 19 MiB, which the allocator keeps per
/// thread once used.
#[derive(Debug, Clone)]
pub struct BlockingPool {
    jobs: mpsc::Sender<Job>,
    threads: usize,
}

impl BlockingPool {
    /// Starts `size` threads (at least one). They end when the last clone of the pool is
    /// dropped.
    pub fn new(size: usize) -> Self {
        let (jobs, queue) = mpsc::channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        let threads = (0..size.max(1))
            .filter(|i| {
                let queue = Arc::clone(&queue);
                std::thread::Builder::new()
                    .name(format!("password-hash-{i}"))
                    .spawn(move || work(&queue))
                    .is_ok()
            })
            .count();
        Self { jobs, threads }
    }

    /// One thread per core.
    pub fn sized_to_cores() -> Self {
        Self::new(std::thread::available_parallelism().map_or(1, |n| n.get()))
    }

    /// Runs `job` on one of the pool's threads and waits for its result.
    pub async fn run<T: Send + 'static>(
        &self,
        job: impl FnOnce() -> T + Send + 'static,
    ) -> DomainResult<T> {
        if self.threads == 0 {
            return Err(DomainError::unexpected(
                "no password hashing thread could be started",
            ));
        }
        let (done, result) = oneshot::channel();
        let job: Job = Box::new(move || {
            // A caller that went away while the job queued (a client that hung up) wants
            // no result: the 19 MiB and ~50 ms of an argon2 run are not spent on it.
            if done.is_closed() {
                return;
            }
            let _ = done.send(job());
        });
        self.jobs
            .send(job)
            .map_err(|_| DomainError::unexpected("the password hashing threads have stopped"))?;
        // An error here means the job panicked (and the thread went on to the next one).
        result.await.map_err(DomainError::unexpected)
    }
}

/// A pool thread: takes jobs until the pool is dropped.
fn work(queue: &Mutex<mpsc::Receiver<Job>>) {
    loop {
        let next = queue.lock().unwrap_or_else(|e| e.into_inner()).recv();
        let Ok(job) = next else {
            return;
        };
        // A panicking job drops its result sender, which its caller sees as an error.
        let _ = catch_unwind(AssertUnwindSafe(job));
    }
}

/// A new PHC string for `password`: argon2id, the default cost, a random salt.
fn hash_now(password: &[u8]) -> DomainResult<String> {
    let params = Params::default();
    let argon2 = Argon2::new(Algorithm::default(), Version::default(), params.clone());
    let salt = argon2::password_hash::try_generate_salt()
        .map_err(|e| DomainError::unexpected(format!("no random salt: {e}")))?;
    let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
    argon2
        .hash_password_into(password, &salt, &mut out)
        .map_err(DomainError::unexpected)?;
    let phc = argon2::PasswordHash {
        algorithm: Algorithm::default().ident(),
        version: Some(Version::default().into()),
        params: ParamsString::try_from(&params).map_err(DomainError::unexpected)?,
        salt: Some(Salt::new(&salt).map_err(DomainError::unexpected)?),
        hash: Some(Output::new(&out).map_err(DomainError::unexpected)?),
    };
    Ok(phc.to_string())
}

/// Whether `password` matches the PHC string `stored`, with the algorithm, version and
/// cost stored in it (so old hashes keep verifying if the defaults change). The outputs are
/// compared in constant time. Anything unreadable matches nothing.
fn verify_now(password: &[u8], stored: &str) -> bool {
    let Ok(hash) = argon2::PasswordHash::new(stored) else {
        return false;
    };
    let (Some(salt), Some(expected)) = (&hash.salt, &hash.hash) else {
        return false;
    };
    let algorithm = Algorithm::try_from(hash.algorithm.as_str());
    let version = hash
        .version
        .map_or(Ok(Version::default()), Version::try_from);
    let (Ok(algorithm), Ok(version), Ok(params)) = (algorithm, version, Params::try_from(&hash))
    else {
        return false;
    };
    let argon2 = Argon2::new(algorithm, version, params);
    let mut out = vec![0u8; expected.len()];
    argon2.hash_password_into(password, salt, &mut out).is_ok()
        && Output::new(&out).is_ok_and(|computed| computed == *expected)
}

/// A hash of a random password nobody knows, made with the same parameters as
/// `Argon2::default()` (a test keeps them in step), so checking against it costs what a
/// real check does.
const DECOY: &str = "$argon2id$v=19$m=19456,t=2,p=1$pkkOz1t0ZKw3CDbEx8sxlw$nQxM6EPHb7hAOOoPLMTlrVdhM2wPtRATzaW5c9krcrw";

/// argon2id with the crate's default (OWASP-recommended) parameters and a random salt.
#[derive(Debug, Clone)]
pub struct Argon2Hasher {
    pool: BlockingPool,
}

impl Argon2Hasher {
    pub fn new() -> Self {
        Self::with_pool(BlockingPool::sized_to_cores())
    }

    pub fn with_pool(pool: BlockingPool) -> Self {
        Self { pool }
    }
}

impl Default for Argon2Hasher {
    fn default() -> Self {
        Self::new()
    }
}

#[async_trait]
impl PasswordHasher for Argon2Hasher {
    async fn hash(&self, password: &NewPassword) -> DomainResult<PasswordHash> {
        let password = password.clone();
        self.pool
            .run(move || hash_now(password.expose().as_bytes()).map(PasswordHash))
            .await?
    }

    async fn verify(&self, password: &str, hash: &PasswordHash) -> DomainResult<bool> {
        let (password, hash) = (password.to_owned(), hash.0.clone());
        self.pool
            .run(move || verify_now(password.as_bytes(), &hash))
            .await
    }

    fn decoy(&self) -> PasswordHash {
        PasswordHash(DECOY.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc;
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn hashes_verify_and_are_salted() {
        let hasher = Argon2Hasher::new();
        let password = NewPassword::parse("Corr3ct!Horse").unwrap();
        let first = hasher.hash(&password).await.unwrap();
        let second = hasher.hash(&password).await.unwrap();
        assert!(first.0.starts_with("$argon2id$"));
        assert_ne!(first, second);
        assert!(hasher.verify("Corr3ct!Horse", &first).await.unwrap());
        assert!(!hasher.verify("wrong", &first).await.unwrap());
        let garbage = PasswordHash("garbage".into());
        assert!(!hasher.verify("Corr3ct!Horse", &garbage).await.unwrap());
    }

    #[test]
    fn hashes_are_the_librarys_own_and_reused_memory_changes_nothing() {
        use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
        let library = Argon2::default();
        // Made here, checked by the library, and the other way round, several times.
        for password in ["Corr3ct!Horse", "another one", "Corr3ct!Horse"] {
            let ours = hash_now(password.as_bytes()).unwrap();
            assert!(
                library
                    .verify_password(password.as_bytes(), ours.as_str())
                    .is_ok()
            );
            assert!(library.verify_password(b"wrong", ours.as_str()).is_err());
            let theirs = library
                .hash_password(password.as_bytes())
                .unwrap()
                .to_string();
            assert!(verify_now(password.as_bytes(), &theirs));
            assert!(!verify_now(b"wrong", &theirs));
        }
        // Another cost than the default is read from the hash, below and above it.
        for m_cost in [8 * 1024, 4 * Params::DEFAULT_M_COST] {
            let params = argon2::ParamsBuilder::new()
                .m_cost(m_cost)
                .t_cost(1)
                .build()
                .unwrap();
            let other = Argon2::new(Algorithm::Argon2i, Version::V0x10, params);
            let stored = other.hash_password(b"legacy").unwrap().to_string();
            assert!(verify_now(b"legacy", &stored));
            assert!(!verify_now(b"Legacy", &stored));
        }
        assert!(!verify_now(
            b"x",
            "$argon2id$v=19$m=19456,t=2,p=1$bm9zYWx0$"
        ));
        assert!(!verify_now(b"x", ""));
    }

    /// Algorithm, version and cost: the PHC string up to the salt.
    fn parameters(phc: &str) -> Vec<&str> {
        phc.split('$').take(4).collect()
    }

    #[tokio::test]
    async fn the_decoy_costs_what_a_real_check_does() {
        let hasher = Argon2Hasher::new();
        let real = hasher
            .hash(&NewPassword::parse("Corr3ct!Horse").unwrap())
            .await
            .unwrap();
        assert_eq!(parameters(DECOY), parameters(&real.0));
        // A well-formed hash (not one rejected before any work is done) that nothing
        // matches.
        assert!(argon2::PasswordHash::new(DECOY).is_ok());
        assert!(!hasher.verify("password", &hasher.decoy()).await.unwrap());
    }

    /// On a single-threaded runtime, like an HTTP worker's: a job waits for a message that
    /// only another task on the same thread sends. Run on that thread it would wait in vain.
    #[tokio::test(flavor = "current_thread")]
    async fn jobs_leave_the_calling_thread_free() {
        let pool = BlockingPool::new(1);
        let (tx, rx) = mpsc::channel::<()>();
        let job = pool.run(move || rx.recv_timeout(Duration::from_secs(10)).is_ok());
        let other = async move { tx.send(()).is_ok() };
        let (received, sent) = tokio::join!(job, other);
        assert!(sent);
        assert!(received.unwrap(), "the job ran on the runtime's own thread");
    }

    /// Starts a job that holds the pool's one thread until `release` is sent to; returns
    /// once it runs.
    async fn occupy_the_only_thread(
        pool: &BlockingPool,
    ) -> (
        mpsc::Sender<()>,
        tokio::task::JoinHandle<DomainResult<Result<(), mpsc::RecvTimeoutError>>>,
    ) {
        let (started, has_started) = mpsc::channel::<()>();
        let (release, wait) = mpsc::channel::<()>();
        let busy = tokio::spawn({
            let pool = pool.clone();
            async move {
                pool.run(move || {
                    started.send(()).unwrap();
                    wait.recv_timeout(Duration::from_secs(10))
                })
                .await
            }
        });
        // The blocker holds the only thread from here on.
        tokio::task::spawn_blocking(move || has_started.recv_timeout(Duration::from_secs(10)))
            .await
            .unwrap()
            .unwrap();
        (release, busy)
    }

    #[tokio::test]
    async fn checks_wait_for_a_free_thread_of_the_pool() {
        let pool = BlockingPool::new(1);
        let hasher = Argon2Hasher::with_pool(pool.clone());
        let hash = hasher
            .hash(&NewPassword::parse("Corr3ct!Horse").unwrap())
            .await
            .unwrap();
        let (release, busy) = occupy_the_only_thread(&pool).await;
        let check = hasher.verify("Corr3ct!Horse", &hash);
        tokio::pin!(check);
        let early = tokio::time::timeout(Duration::from_millis(300), &mut check).await;
        assert!(early.is_err(), "the check did not wait for the pool");
        release.send(()).unwrap();
        assert!(check.await.unwrap());
        assert!(busy.await.unwrap().unwrap().is_ok());
    }

    #[tokio::test]
    async fn a_job_whose_caller_went_away_is_not_run() {
        let pool = BlockingPool::new(1);
        let (release, busy) = occupy_the_only_thread(&pool).await;
        // Queued behind the blocker, then abandoned (the client hung up).
        let ran = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let abandoned = tokio::spawn({
            let (pool, ran) = (pool.clone(), Arc::clone(&ran));
            async move {
                pool.run(move || ran.store(true, std::sync::atomic::Ordering::SeqCst))
                    .await
            }
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        abandoned.abort();
        let _ = abandoned.await;
        release.send(()).unwrap();
        assert!(busy.await.unwrap().unwrap().is_ok());
        // A later job runs, so the abandoned one has been taken off the queue by now.
        pool.run(|| ()).await.unwrap();
        assert!(!ran.load(std::sync::atomic::Ordering::SeqCst));
    }

    #[tokio::test]
    async fn jobs_run_on_the_pools_own_threads_only() {
        let pool = BlockingPool::new(2);
        let mut running = tokio::task::JoinSet::new();
        for _ in 0..20 {
            let pool = pool.clone();
            running.spawn(async move {
                pool.run(|| {
                    std::thread::sleep(Duration::from_millis(2));
                    std::thread::current().name().map(str::to_owned)
                })
                .await
            });
        }
        let mut names = std::collections::BTreeSet::new();
        while let Some(name) = running.join_next().await {
            names.insert(name.unwrap().unwrap().unwrap());
        }
        assert!(names.len() <= 2, "{names:?}");
        assert!(
            names.iter().all(|n| n.starts_with("password-hash-")),
            "{names:?}"
        );
    }

    #[tokio::test]
    async fn a_panicking_job_is_an_error_and_the_thread_goes_on() {
        let pool = BlockingPool::new(1);
        let failed = pool.run(|| -> i32 { panic!("boom") }).await;
        assert!(matches!(failed, Err(DomainError::Unexpected(_))));
        assert_eq!(pool.run(|| 7).await.unwrap(), 7);
    }
}
