//! Each system's brokers, one per payload type, kept in its
//! [extension map](crate::ActorSystem::extension).

use super::Broker;
use crate::kernel::system::ActorSystem;

/// The system's broker for payloads of type `T`: a type of the broker's own, so that no one
/// else can make or replace it in the extension map.
struct SystemBroker<T>(Broker<T>);

impl<T: Send + Sync + 'static> Default for SystemBroker<T> {
    fn default() -> Self {
        Self(Broker::new())
    }
}

impl ActorSystem {
    /// The system's publish-subscribe broker for payloads of type `T`: every call returns a
    /// handle to the same broker. See the [`broker`](crate::broker) module.
    ///
    /// ```
    /// let system = airssys_rt::ActorSystem::new();
    /// let readings = system.broker::<f64>();
    /// assert_eq!(readings.subscriber_count("sensors.hall.temperature"), Ok(0));
    /// ```
    pub fn broker<T: Send + Sync + 'static>(&self) -> Broker<T> {
        self.extension::<SystemBroker<T>>().0.clone()
    }
}
