use airssys_rt::actor::ReplyRecipient;
use airssys_rt::kernel::AnyActor;

// A recipient for one message type gives no handle to the whole actor (Q13).
fn widen(narrow: &ReplyRecipient<u8, u8>) -> AnyActor {
    narrow.erase()
}

fn main() {
    let _ = widen;
}
