//! `set_language` sets the language for the process (through `DLFS_LANG`), and
//! `with_language` overrides it on one thread. One test in its own binary: it changes the
//! process's environment, which other tests running at the same time would see.
#![allow(clippy::todo)]

use dlfs::exercise::*;
use dlfs::layers::Layer;
use dlfs::ndarray::{ArrayD, ArrayRef, IxDyn};

struct Todo;
impl Layer for Todo {
    fn forward(&mut self, _x: &ArrayRef<f64, IxDyn>, _train: bool) -> ArrayD<f64> {
        todo!("mask = (x <= 0)")
    }
    fn backward(&mut self, _dout: &ArrayRef<f64, IxDyn>) -> ArrayD<f64> {
        todo!()
    }
}

#[test]
fn set_language_holds_for_the_process_and_with_language_overrides_it() {
    set_language(Lang::Ko);
    assert_eq!(language(), Lang::Ko);
    assert_eq!(std::env::var("DLFS_LANG").as_deref(), Ok("ko"));
    assert_eq!(
        check_relu(|| Todo).to_string(),
        "… Relu: 아직 작성 전: mask = (x <= 0)"
    );
    // another thread sees it too (the environment is the process's)
    let there = std::thread::spawn(|| check_relu(|| Todo).to_string())
        .join()
        .unwrap();
    assert_eq!(there, "… Relu: 아직 작성 전: mask = (x <= 0)");
    // with_language wins on its thread, and ends with its closure
    assert_eq!(
        with_language(Lang::En, || check_relu(|| Todo).to_string()),
        "… Relu: not done yet: mask = (x <= 0)"
    );
    assert_eq!(language(), Lang::Ko);

    set_language(Lang::En);
    assert_eq!(language(), Lang::En);
    assert_eq!(
        check_relu(|| Todo).to_string(),
        "… Relu: not done yet: mask = (x <= 0)"
    );
    assert_eq!(
        with_language(Lang::Ko, || check_relu(|| Todo).to_string()),
        "… Relu: 아직 작성 전: mask = (x <= 0)"
    );
}
