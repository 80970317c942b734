use airssys_rt::prelude::*;

fn answer(reply: ReplyTo<u64>) {
    reply.send(1);
    reply.send(2);
}

fn main() {
    let _ = answer;
}
