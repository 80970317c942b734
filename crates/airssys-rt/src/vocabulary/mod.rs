//! The vocabulary: the types every layer speaks (ids, exit reasons, signals, errors, health),
//! importing nothing of the crate's own.
