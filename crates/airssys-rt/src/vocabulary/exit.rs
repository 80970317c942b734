//! Why an actor ended, the error it failed with, and the guarded drop of what a user handed in
//! (a panic in its `Drop` must not take the runtime down).

use std::any::Any;
use std::error::Error;
use std::fmt;
use std::ops::Deref;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

/// Why an actor ended.
///
/// `Normal` and `Shutdown` are the *normal* reasons, as in OTP: an actor that ends with them did
/// what was asked of it. Every other reason is *abnormal*: something went wrong.
///
/// ```
/// use airssys_rt::ExitReason;
///
/// assert!(ExitReason::Normal.is_normal());
/// assert!(ExitReason::Shutdown.is_normal());
/// assert!(!ExitReason::Killed.is_normal());
/// let panicked = ExitReason::panicked("index out of bounds");
/// assert_eq!(panicked.to_string(), "panicked: index out of bounds");
/// assert_eq!(panicked.panic_message(), Some("index out of bounds"));
/// ```
#[derive(Clone)]
#[non_exhaustive]
pub enum ExitReason {
    /// It was stopped, stopped itself, or lost its last sender.
    Normal,
    /// It was stopped as part of a shutdown (of the system, later of its supervisor).
    Shutdown,
    /// It was killed.
    Killed,
    /// The actor that a link or monitor was asked for had already ended (OTP's `noproc`).
    NoSuchActor,
    /// A hook or handler panicked; this is the panic message.
    Panicked(Arc<str>),
    /// A hook or handler returned this error.
    Failed(ActorError),
}

impl ExitReason {
    /// An exit caused by this error.
    ///
    /// ```
    /// use airssys_rt::ExitReason;
    /// let reason = ExitReason::failed(std::fmt::Error);
    /// assert!(reason.error().is_some());
    /// ```
    pub fn failed<E: Into<BoxError>>(error: E) -> Self {
        Self::Failed(ActorError::new(error))
    }

    /// An exit caused by a panic with this message.
    ///
    /// ```
    /// use airssys_rt::ExitReason;
    /// assert!(ExitReason::panicked("boom").is_panic());
    /// ```
    pub fn panicked(message: impl Into<Arc<str>>) -> Self {
        Self::Panicked(message.into())
    }

    /// Whether this is `Normal` or `Shutdown`.
    ///
    /// ```
    /// assert!(!airssys_rt::ExitReason::panicked("x").is_normal());
    /// ```
    pub fn is_normal(&self) -> bool {
        matches!(self, Self::Normal | Self::Shutdown)
    }

    /// Whether this is a panic.
    ///
    /// ```
    /// assert!(!airssys_rt::ExitReason::Killed.is_panic());
    /// ```
    pub fn is_panic(&self) -> bool {
        matches!(self, Self::Panicked(_))
    }

    /// The panic message, for a panic.
    ///
    /// ```
    /// assert_eq!(airssys_rt::ExitReason::Normal.panic_message(), None);
    /// ```
    pub fn panic_message(&self) -> Option<&str> {
        match self {
            Self::Panicked(message) => Some(message),
            _ => None,
        }
    }

    /// The error, for a failure.
    ///
    /// ```
    /// assert!(airssys_rt::ExitReason::Shutdown.error().is_none());
    /// ```
    pub fn error(&self) -> Option<&(dyn Error + Send + Sync + 'static)> {
        match self {
            Self::Failed(error) => Some(error.get()),
            _ => None,
        }
    }

    /// The reason for a panic of user code that a service caught (a start function's, say):
    /// [`Panicked`](Self::Panicked) with the panic's message. The payload is dropped here, and
    /// a panic in its own `Drop` goes no further.
    ///
    /// ```
    /// use airssys_rt::ExitReason;
    /// let caught = std::panic::catch_unwind(|| panic!("no database")).unwrap_err();
    /// assert_eq!(ExitReason::from_panic(caught), ExitReason::Panicked("no database".into()));
    /// ```
    pub fn from_panic(payload: Box<dyn Any + Send>) -> Self {
        Self::Panicked(panic_message(payload))
    }
}

impl PartialEq for ExitReason {
    /// Reasons are equal when they are of the same kind with the same panic message; two
    /// failures are equal only when they share the very same error value.
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Self::Normal, Self::Normal)
            | (Self::Shutdown, Self::Shutdown)
            | (Self::Killed, Self::Killed)
            | (Self::NoSuchActor, Self::NoSuchActor) => true,
            (Self::Panicked(a), Self::Panicked(b)) => a == b,
            (Self::Failed(a), Self::Failed(b)) => Arc::ptr_eq(&a.0, &b.0),
            _ => false,
        }
    }
}

impl fmt::Display for ExitReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Normal => f.write_str("normal"),
            Self::Shutdown => f.write_str("shutdown"),
            Self::Killed => f.write_str("killed"),
            Self::NoSuchActor => f.write_str("no such actor"),
            Self::Panicked(message) => write!(f, "panicked: {message}"),
            Self::Failed(error) => write!(f, "failed: {error}"),
        }
    }
}

impl fmt::Debug for ExitReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Normal => f.write_str("Normal"),
            Self::Shutdown => f.write_str("Shutdown"),
            Self::Killed => f.write_str("Killed"),
            Self::NoSuchActor => f.write_str("NoSuchActor"),
            Self::Panicked(message) => f.debug_tuple("Panicked").field(message).finish(),
            Self::Failed(error) => f.debug_tuple("Failed").field(&error.to_string()).finish(),
        }
    }
}

/// Any error, boxed: what an actor's [`Error`](crate::Actor::Error) type converts into. Every
/// `E: Error + Send + Sync + 'static` converts (std's `From`), as do `anyhow::Error` and
/// `BoxError` itself.
///
/// ```
/// use airssys_rt::actor::BoxError;
/// let error: BoxError = std::fmt::Error.into();
/// assert!(error.is::<std::fmt::Error>());
/// ```
pub type BoxError = Box<dyn Error + Send + Sync + 'static>;

/// The error an actor failed with ([`ExitReason::Failed`]), shared by every copy of the reason.
///
/// It dereferences to the error the actor returned, so it can be displayed, inspected and
/// downcast as that error. An `anyhow::Error` keeps its message and the `source()` chain of the
/// error it wraps, but converts into a box of anyhow's own wrapper type, so it cannot be
/// downcast to that error: an actor whose failures are matched by type returns them as they
/// are, or as a [`BoxError`]. Its own `Display` and `Debug`, and dropping it, never panic, even
/// when the error's do: the runtime formats and drops exit reasons on the way to ending an
/// actor, and user code must not be able to break that way (a panicking `Display` or `Debug`
/// shows as a note saying so; a panicking `Drop` is caught, and what it panicked with is
/// leaked).
///
/// ```
/// use airssys_rt::ExitReason;
///
/// #[derive(Debug, thiserror::Error)]
/// #[error("disk full")]
/// struct DiskFull;
///
/// let reason = ExitReason::failed(DiskFull);
/// let ExitReason::Failed(error) = &reason else { unreachable!() };
/// assert_eq!(error.to_string(), "disk full");
/// assert!(error.downcast_ref::<DiskFull>().is_some());
/// ```
#[derive(Clone)]
pub struct ActorError(Arc<dyn Contained>);

impl ActorError {
    /// Wraps `error`.
    ///
    /// ```
    /// let error = airssys_rt::actor::ActorError::new(std::fmt::Error);
    /// assert_eq!(error.to_string(), std::fmt::Error.to_string());
    /// ```
    pub fn new<E: Into<BoxError>>(error: E) -> Self {
        Self(Arc::new(Guarded(Some(error.into()))))
    }

    /// The error the actor returned.
    ///
    /// ```
    /// let error = airssys_rt::actor::ActorError::new(std::fmt::Error);
    /// assert!(error.get().is::<std::fmt::Error>());
    /// ```
    pub fn get(&self) -> &(dyn Error + Send + Sync + 'static) {
        self.0.error()
    }
}

impl Deref for ActorError {
    type Target = dyn Error + Send + Sync + 'static;

    fn deref(&self) -> &Self::Target {
        self.get()
    }
}

impl fmt::Display for ActorError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let error = self.get();
        match catch_unwind(AssertUnwindSafe(|| error.to_string())) {
            Ok(text) => f.write_str(&text),
            Err(panic) => {
                forget_panic(panic);
                f.write_str("<the error's Display panicked>")
            }
        }
    }
}

impl fmt::Debug for ActorError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let error = self.get();
        match catch_unwind(AssertUnwindSafe(|| format!("{error:?}"))) {
            Ok(text) => f.write_str(&text),
            Err(panic) => {
                forget_panic(panic);
                f.write_str("<the error's Debug panicked>")
            }
        }
    }
}

impl Error for ActorError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        self.get().source()
    }
}

/// The error behind an [`ActorError`], of whatever type.
trait Contained: Send + Sync {
    fn error(&self) -> &(dyn Error + Send + Sync + 'static);
}

/// Holds the error so that dropping it cannot unwind (the `Option` is `None` only while it
/// is being dropped).
struct Guarded<E: Send + 'static>(Option<E>);

impl Contained for Guarded<BoxError> {
    fn error(&self) -> &(dyn Error + Send + Sync + 'static) {
        match &self.0 {
            Some(error) => &**error,
            // Unreachable: only `drop` empties it, and nothing can call this after.
            None => &Dropped,
        }
    }
}

impl<E: Send + 'static> Drop for Guarded<E> {
    fn drop(&mut self) {
        let mut error = self.0.take();
        // An error may hold other actors' errors (a supervisor's failed start holds its
        // child's, which holds its own child's...): dropped one inside the other, a deep tree's
        // would run out of stack. Those met while one is being dropped wait their turn here.
        let _ = DROPPING.try_with(|dropping| {
            let Some(error) = error.take() else {
                return;
            };
            if dropping.active.get() {
                dropping.waiting.borrow_mut().push(Box::new(error));
                return;
            }
            dropping.active.set(true);
            drop_guarded(error);
            loop {
                // Taken out first: the list must not stay borrowed while its errors drop.
                let next = dropping.waiting.borrow_mut().pop();
                let Some(next) = next else {
                    break;
                };
                drop_guarded(next);
            }
            dropping.active.set(false);
        });
        // Still here only if the thread is ending and its list is gone.
        drop_guarded(error);
    }
}

/// The errors waiting to be dropped on this thread, while one is being dropped.
struct Dropping {
    active: std::cell::Cell<bool>,
    waiting: std::cell::RefCell<Vec<Box<dyn Send>>>,
}

thread_local! {
    static DROPPING: Dropping = const {
        Dropping { active: std::cell::Cell::new(false), waiting: std::cell::RefCell::new(Vec::new()) }
    };
}

/// Stands in for an error being dropped.
#[derive(Debug, thiserror::Error)]
#[error("the error was dropped")]
struct Dropped;

/// The message of a panic, from its payload; the payload is dropped without unwinding.
pub(crate) fn panic_message(payload: Box<dyn Any + Send>) -> Arc<str> {
    let message: Arc<str> = if let Some(text) = payload.downcast_ref::<&'static str>() {
        Arc::from(*text)
    } else if let Some(text) = payload.downcast_ref::<String>() {
        Arc::from(text.as_str())
    } else {
        Arc::from("a panic with a payload that is not a string")
    };
    forget_panic(payload);
    message
}

/// Drops `value`, which may run user code; whether that panicked (the panic goes no further).
pub(crate) fn drop_guarded<T>(value: T) -> bool {
    match catch_unwind(AssertUnwindSafe(move || drop(value))) {
        Ok(()) => false,
        Err(panic) => {
            forget_panic(panic);
            true
        }
    }
}

/// Runs `emit`, a `tracing` call: the program's subscriber is user code, and its panic goes no
/// further (it may come while a panic of other user code is being handled, where it must not
/// unwind either). A service emits every event of an actor's hooks this way, so that a
/// subscriber's panic does not end the actor (A11).
///
/// ```
/// use airssys_rt::kernel::trace_guarded;
/// trace_guarded(|| tracing::info!(child = "worker-3", "restarting child"));
/// ```
pub fn trace_guarded(emit: impl FnOnce()) {
    if let Err(panic) = catch_unwind(AssertUnwindSafe(emit)) {
        forget_panic(panic);
    }
}

/// Drops a panic's payload, which is user code (`std::panic::panic_any` takes any value): if
/// dropping it panics in turn, that second payload is leaked rather than dropped, as the
/// standard library does, so that nothing unwinds out of here.
pub(crate) fn forget_panic(payload: Box<dyn Any + Send>) {
    if let Err(again) = catch_unwind(AssertUnwindSafe(move || drop(payload))) {
        std::mem::forget(again);
    }
}
