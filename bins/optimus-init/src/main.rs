//! `optimus-init`: the init container of an Optimus job run.

fn main() {
    println!("optimus-init (in progress)");
}
