//! The language of the checks' messages: English, or Korean for the Korean notebooks
//! (`dlfs::exercise` re-exports all of it).
//!
//! The Korean notebooks call [`set_language`]`(Lang::Ko)` in their prelude cell, the second
//! code cell (the one line their code has that the English has not); outside a notebook,
//! `DLFS_LANG=ko` in the environment does the same.
//! Every message the checks print is written in both languages, side by side, with the
//! crate's `tr!` macro; `scripts/i18n.py` reads the same pairs to translate the committed
//! outputs of the Korean exercise notebooks.

/// A message in English and Korean: `tr!("yours {a}", "입력값 {a}", a = x)` formats the
/// one of [`language()`]. Both literals take the same arguments; every message a check
/// prints (and the gradient check's message) is written this way (`scripts/i18n.py` reads
/// the pairs from the source). It lives here, on the ground floor, so that `gradient.rs`
/// can use it without importing the exercise room above it.
macro_rules! tr {
    ($en:literal, $ko:literal $(, $($args:tt)*)?) => {
        match $crate::lang::language() {
            $crate::lang::Lang::Ko => format!($ko $(, $($args)*)?),
            $crate::lang::Lang::En => format!($en $(, $($args)*)?),
        }
    };
}

use std::cell::Cell;

/// A language the checks speak.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// English (the default).
    En,
    /// 한국어.
    Ko,
}

thread_local! {
    /// A language for this thread only: [`with_language`].
    static THIS_THREAD: Cell<Option<Lang>> = const { Cell::new(None) };
}

/// Sets the language of the checks' messages for the rest of the session, by setting
/// `DLFS_LANG` in the process's environment: evcxr compiles each cell into its own library
/// with its own copy of this crate's statics, so a static set in one cell would be gone in
/// the next, while the environment is the process's.
#[allow(unsafe_code)]
pub fn set_language(lang: Lang) {
    let value = match lang {
        Lang::En => "en",
        Lang::Ko => "ko",
    };
    // SAFETY: setting a variable races with other threads reading the environment. It is
    // called from a notebook cell or a program's start, between computations: the crate's
    // worker threads (rayon's pool) are then idle, and they never read the environment.
    unsafe { std::env::set_var("DLFS_LANG", value) };
}

/// The language messages are written in now: [`with_language`]'s on this thread, else
/// `DLFS_LANG` (`ko` → Korean), else English.
pub fn language() -> Lang {
    if let Some(lang) = THIS_THREAD.with(Cell::get) {
        return lang;
    }
    match std::env::var("DLFS_LANG") {
        Ok(v) if v.trim().eq_ignore_ascii_case("ko") => Lang::Ko,
        _ => Lang::En,
    }
}

/// Runs `f` with messages in `lang` on this thread (what the tests use).
pub fn with_language<T>(lang: Lang, f: impl FnOnce() -> T) -> T {
    let before = THIS_THREAD.with(|c| c.replace(Some(lang)));
    let out = f();
    THIS_THREAD.with(|c| c.set(before));
    out
}

/// `en` or `ko`, by [`language()`]: a sentence the exercise notebooks' own code prints or
/// draws (a figure's note, "the apple example runs once …"), so that the Korean notebooks,
/// whose code is the English one's, show it in Korean. `scripts/i18n.py` reads the pairs
/// from the notebooks to translate their committed outputs.
///
/// ```
/// use dlfs::exercise::{Lang, say, with_language};
/// let line = || say("(runs once the check passes)", "(확인을 통과하면 실행된다)");
/// assert_eq!(with_language(Lang::Ko, line), "(확인을 통과하면 실행된다)");
/// assert_eq!(with_language(Lang::En, line), "(runs once the check passes)");
/// ```
pub fn say(en: &str, ko: &str) -> String {
    match language() {
        Lang::En => en.to_string(),
        Lang::Ko => ko.to_string(),
    }
}
