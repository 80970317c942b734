use airssys_rt::prelude::*;

struct Deposit(u64);

#[derive(Default)]
struct Account;

#[actor(messages(Deposit))]
impl Actor for Account {}

fn main() {}
