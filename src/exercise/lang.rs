//! The language of the checks' messages: English, or Korean for the Korean notebooks.
//!
//! A kernel started for a notebook whose name ends in `.ko.ipynb` gets `DLFS_LANG=ko` from
//! the project's kernel launcher (`scripts/kernel.py`, from JupyterLab's `JPY_SESSION_NAME`);
//! elsewhere (VS Code, a script) set it yourself, or call [`set_language`] in a cell.
//! Every message the checks print is written in both languages, side by side, with the
//! crate's `tr!` macro; `scripts/i18n.py` reads the same pairs to translate the committed
//! outputs of the Korean exercise notebooks.

use std::cell::Cell;
use std::sync::atomic::{AtomicU8, Ordering};

/// A language the checks speak.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// English (the default).
    En,
    /// 한국어.
    Ko,
}

/// 0: not set (read `DLFS_LANG`), 1: English, 2: Korean.
static CHOSEN: AtomicU8 = AtomicU8::new(0);

thread_local! {
    /// A language for this thread only: [`with_language`].
    static THIS_THREAD: Cell<Option<Lang>> = const { Cell::new(None) };
}

/// Sets the language of the checks' messages for the rest of the session.
pub fn set_language(lang: Lang) {
    CHOSEN.store(
        match lang {
            Lang::En => 1,
            Lang::Ko => 2,
        },
        Ordering::Relaxed,
    );
}

/// The language messages are written in now: [`with_language`]'s on this thread, else
/// [`set_language`]'s, else `DLFS_LANG` (`ko` → Korean), else English.
pub fn language() -> Lang {
    if let Some(lang) = THIS_THREAD.with(Cell::get) {
        return lang;
    }
    match CHOSEN.load(Ordering::Relaxed) {
        1 => Lang::En,
        2 => Lang::Ko,
        _ => match std::env::var("DLFS_LANG") {
            Ok(v) if v.trim().eq_ignore_ascii_case("ko") => Lang::Ko,
            _ => Lang::En,
        },
    }
}

/// Runs `f` with messages in `lang` on this thread (what the tests use).
pub fn with_language<T>(lang: Lang, f: impl FnOnce() -> T) -> T {
    let before = THIS_THREAD.with(|c| c.replace(Some(lang)));
    let out = f();
    THIS_THREAD.with(|c| c.set(before));
    out
}
