//! Routing: pools of workers under a supervisor behind one router, built on the kernel and on
//! supervision.

pub mod router;
