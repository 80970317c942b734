use std::error::Error;
use std::fmt;
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
    Failed(Arc<dyn Error + Send + Sync>),
}

impl ExitReason {
    /// An exit caused by this error.
    ///
    /// ```
    /// use airssys_rt::ExitReason;
    /// let reason = ExitReason::failed(std::fmt::Error);
    /// assert!(reason.error().is_some());
    /// ```
    pub fn failed<E: Error + Send + Sync + 'static>(error: E) -> Self {
        Self::Failed(Arc::new(error))
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
            Self::Failed(error) => Some(&**error),
            _ => None,
        }
    }

    pub(crate) fn from_panic(payload: Box<dyn std::any::Any + Send>) -> Self {
        let message: Arc<str> = if let Some(text) = payload.downcast_ref::<&'static str>() {
            Arc::from(*text)
        } else if let Some(text) = payload.downcast_ref::<String>() {
            Arc::from(text.as_str())
        } else {
            Arc::from("a panic with a payload that is not a string")
        };
        Self::Panicked(message)
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
            (Self::Failed(a), Self::Failed(b)) => Arc::ptr_eq(a, b),
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
