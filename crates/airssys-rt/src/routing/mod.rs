//! Routing: pools of workers under a supervisor behind one router, built on the kernel and on
//! supervision; and groups, routers over recipients of actors of any types.

pub mod router;
