//! The checks speak Korean: wrong implementations of chapters 5, 6 and 7 checked under
//! `with_language(Lang::Ko, …)` are told their mistake in Korean, with no English sentence
//! left in the report, and under `Lang::En` in the English of the other tests; a `todo!()`
//! is "아직 작성 전", a right class gets its ✓ line in Korean.
//!
//! The language is set per thread (`with_language`), never with `set_language` (which sets
//! the process's environment, shared by the tests running at the same time): that one has
//! its own test binary, `exercise_set_language.rs`.
#![allow(clippy::todo)] // an unfinished exercise is a `todo!()`

use std::collections::HashMap;

use dlfs::exercise::*;
use dlfs::layers::{self, Layer, ParamRef};
use dlfs::ndarray::{Array2, Array4, ArrayD, ArrayRef, IxDyn, Zip};
use dlfs::optimizer::{self, Optimizer};

/// The report of `check` in Korean and in English, each checked and printed in its language
/// (a report's own lines, "not done yet" and "passed before it", are written when printed).
fn both(check: impl Fn() -> Report) -> (String, String) {
    let ko = with_language(Lang::Ko, || check().to_string());
    let en = with_language(Lang::En, || check().to_string());
    (ko, en)
}

/// Words without which an English sentence is hard to write; identifiers in the reports
/// (`forward`, `dx`, `Relu`, `train = false`) are none of them.
const ENGLISH: &[&str] = &[
    "the",
    "a",
    "an",
    "is",
    "are",
    "was",
    "of",
    "on",
    "in",
    "at",
    "to",
    "for",
    "with",
    "by",
    "from",
    "and",
    "or",
    "not",
    "no",
    "your",
    "yours",
    "it",
    "its",
    "must",
    "should",
    "expected",
    "shape",
    "passed",
    "before",
    "done",
    "yet",
    "keep",
    "does",
    "add",
    "each",
    "every",
    "this",
    "that",
    "there",
    "where",
    "than",
    "gradient",
    "check",
    "error",
    "inference",
    "windows",
];

/// The English words of [`ENGLISH`] in `text`.
fn english_words(text: &str) -> Vec<String> {
    text.split_whitespace()
        .map(|t| {
            t.trim_matches(|c: char| c.is_ascii_punctuation())
                .to_lowercase()
        })
        .filter(|w| ENGLISH.contains(&w.as_str()))
        .collect()
}

/// `ko` is a Korean report that mentions every needle and has none of the words of
/// [`ENGLISH`] once the `quoted` texts (a panic's own message, an exercise's name) are taken
/// out; `en` mentions every English needle and has no Hangul.
#[track_caller]
fn assert_korean(ko: &str, en: &str, ko_needles: &[&str], en_needles: &[&str], quoted: &[&str]) {
    let mut rest = ko.to_string();
    for q in quoted {
        rest = rest.replace(q, " ");
    }
    let words = english_words(&rest);
    assert!(
        words.is_empty(),
        "the Korean report has English in it ({words:?}):\n{ko}"
    );
    for n in ko_needles {
        assert!(ko.contains(n), "the Korean report should say {n:?}:\n{ko}");
    }
    for n in en_needles {
        assert!(en.contains(n), "the English report should say {n:?}:\n{en}");
    }
    assert!(
        !en.chars().any(|c| ('\u{AC00}'..='\u{D7A3}').contains(&c)),
        "the English report has Korean in it:\n{en}"
    );
}

// ---- chapter 5 ----

/// The book's mask is x <= 0; this one is x < 0.
#[derive(Default)]
struct ReluStrict {
    mask: Option<ArrayD<bool>>,
}
impl Layer for ReluStrict {
    fn forward(&mut self, x: &ArrayRef<f64, IxDyn>, _train: bool) -> ArrayD<f64> {
        self.mask = Some(x.mapv(|v| v < 0.0));
        x.mapv(|v| v.max(0.0))
    }
    fn backward(&mut self, dout: &ArrayRef<f64, IxDyn>) -> ArrayD<f64> {
        let mask = self.mask.as_ref().unwrap();
        Zip::from(dout)
            .and(mask)
            .map_collect(|&d, &m| if m { 0.0 } else { d })
    }
}

/// Computes the mask and forgets to keep it: backward unwraps a `None`.
#[derive(Default)]
struct ReluKeepsNoMask {
    mask: Option<ArrayD<bool>>,
}
impl Layer for ReluKeepsNoMask {
    fn forward(&mut self, x: &ArrayRef<f64, IxDyn>, _train: bool) -> ArrayD<f64> {
        x.mapv(|v| v.max(0.0))
    }
    fn backward(&mut self, dout: &ArrayRef<f64, IxDyn>) -> ArrayD<f64> {
        let mask = self.mask.as_ref().unwrap();
        Zip::from(dout)
            .and(mask)
            .map_collect(|&d, &m| if m { 0.0 } else { d })
    }
}

/// `-v.exp()` for exp(−v): 1/(1 − exp(x)).
#[derive(Default)]
struct SigmoidMinusExp {
    out: Option<ArrayD<f64>>,
}
impl Layer for SigmoidMinusExp {
    fn forward(&mut self, x: &ArrayRef<f64, IxDyn>, _train: bool) -> ArrayD<f64> {
        let out = x.mapv(|v| 1.0 / (1.0 + -v.exp()));
        self.out = Some(out.clone());
        out
    }
    fn backward(&mut self, dout: &ArrayRef<f64, IxDyn>) -> ArrayD<f64> {
        let y = self.out.as_ref().unwrap();
        &dout.to_owned() * &y.mapv(|y| (1.0 - y) * y)
    }
}

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
fn chapter_5_mistakes_in_korean() {
    let (ko, en) = both(|| check_relu(ReluStrict::default));
    assert_korean(
        &ko,
        &en,
        &[
            "✗ Relu: backward (dx, x 형상 (3, 5)): 최대 |여러분의 값 − 기댓값|",
            "마스크가 x < 0입니다. 책의 마스크는 x <= 0입니다",
            "기울기를 전하지 않아야 합니다",
        ],
        &[
            "✗ Relu: backward (dx) on x of shape (3, 5)",
            "your mask is x < 0 where the book's is x <= 0",
        ],
        &[],
    );

    let (ko, en) = both(|| check_relu(ReluKeepsNoMask::default));
    let panic = "called `Option::unwrap()` on a `None` value";
    assert_korean(
        &ko,
        &en,
        &[
            "backward에서 패닉 발생",
            "forward가 backward에 쓸 것(마스크)을 보관해야 합니다 (forward에서 self.mask = Some(mask))",
        ],
        &["forward must keep the mask for backward (self.mask = Some(mask) in forward)"],
        &[panic],
    );

    let (ko, en) = both(|| check_sigmoid(SigmoidMinusExp::default));
    assert_korean(
        &ko,
        &en,
        &[
            "✗ Sigmoid: forward (x 형상",
            "계산한 것은 1/(1 − exp(x))입니다",
            "`(-v).exp()`로 쓰세요",
        ],
        &["yours is 1/(1 − exp(x))"],
        &[],
    );
}

#[test]
fn chapter_5_todo_and_pass_in_korean() {
    let (ko, en) = both(|| check_relu(|| Todo));
    assert_eq!(ko, "… Relu: 아직 작성 전: mask = (x <= 0)");
    assert_eq!(en, "… Relu: not done yet: mask = (x <= 0)");

    let (ko, en) = both(|| check_relu(layers::Relu::new));
    assert_korean(
        &ko,
        &en,
        &[
            "✓ Relu: forward와 backward (x 형상 (2, 2)), ",
            ", 추론, 기울기 확인 (상대 오차 ",
        ],
        &[
            "✓ Relu: forward and backward on x of shape (2, 2), ",
            ", inference, gradient check (rel. error ",
        ],
        &[],
    );

    let mut progress = Progress::new("5장", &["Relu", "Sigmoid"]);
    progress.record(with_language(Lang::Ko, || check_relu(layers::Relu::new)));
    let line = with_language(Lang::Ko, || progress.to_string());
    assert!(
        line.starts_with("5장: 연습 문제 2개 중 1개 완료\n  ✓ Relu\n  … Sigmoid"),
        "{line}"
    );
}

// ---- chapter 6 ----

/// An optimizer written per element, as a learner might: `f(w, g, state, lr, t)`.
struct Elementwise {
    lr: f64,
    t: i32,
    state: HashMap<String, Vec<[f64; 2]>>,
    f: fn(&mut f64, f64, &mut [f64; 2], f64, i32),
}

fn elementwise(lr: f64, f: fn(&mut f64, f64, &mut [f64; 2], f64, i32)) -> Elementwise {
    Elementwise {
        lr,
        t: 0,
        state: HashMap::new(),
        f,
    }
}

impl Optimizer for Elementwise {
    fn update(&mut self, params: Vec<ParamRef<'_>>) {
        self.t += 1;
        for p in params {
            let s = self
                .state
                .entry(p.name.clone())
                .or_insert_with(|| vec![[0.0; 2]; p.value.len()]);
            for ((w, &g), s) in p.value.iter_mut().zip(p.grad.iter()).zip(s) {
                (self.f)(w, g, s, self.lr, self.t);
            }
        }
    }
    fn name(&self) -> &'static str {
        "test"
    }
}

#[test]
fn chapter_6_mistakes_in_korean() {
    let (ko, en) = both(|| check_sgd(|lr| elementwise(lr, |w, g, _, lr, _| *w += lr * g)));
    assert_korean(
        &ko,
        &en,
        &[
            "✗ SGD: 갱신 6번 중 1번째 뒤의 W1: 최대 |여러분의 값 − 기댓값|",
            "기울기를 더하고 있습니다. 내리막으로 가세요, W ← W − η·∂L/∂W",
        ],
        &["✗ SGD: W1 after update 1 of 6", "you add the gradient"],
        &[],
    );

    let (ko, en) = both(|| check_sgd(|_| optimizer::SGD::new(0.01)));
    assert_korean(
        &ko,
        &en,
        &["기본값 lr = 0.01로", "new에서 받은 `lr`을 보관하세요"],
        &[
            "lr = 0.01 (the default)",
            "not the lr = 0.05 it was made with",
        ],
        &[],
    );

    let (ko, en) = both(|| {
        check_adam(|lr| {
            elementwise(lr, |w, g, s, lr, _| {
                s[0] += 0.1 * (g - s[0]);
                s[1] += 0.001 * (g * g - s[1]);
                *w -= lr * s[0] / (s[1].sqrt() + 1e-7);
            })
        })
    });
    assert_korean(
        &ko,
        &en,
        &["편향 보정이 없습니다"],
        &["no bias correction"],
        &[],
    );

    let he = |n: usize| (2.0 / n as f64).sqrt();
    let (ko, en) = both(|| check_init_std(|n| 1.0 / n as f64, he));
    assert_korean(
        &ko,
        &en,
        &["✗ Xavier and He: n = 2일 때 Xavier", "제곱근을 취하세요"],
        &["Xavier for n = 2", "take its square root"],
        // the exercise's name is the same in both languages
        &["Xavier and He"],
    );
}

#[test]
fn chapter_6_todo_and_pass_in_korean() {
    struct TodoOpt;
    impl Optimizer for TodoOpt {
        fn update(&mut self, _params: Vec<ParamRef<'_>>) {
            todo!("v = αv − η·g; W += v")
        }
        fn name(&self) -> &'static str {
            "Todo"
        }
    }
    let (ko, en) = both(|| check_momentum(|_| TodoOpt));
    assert_eq!(ko, "… Momentum: 아직 작성 전: v = αv − η·g; W += v");
    assert_eq!(en, "… Momentum: not done yet: v = αv − η·g; W += v");

    let (ko, en) = both(|| check_momentum(optimizer::Momentum::new));
    assert_korean(
        &ko,
        &en,
        &[
            "✓ Momentum: lr 0.05로 W1 (3, 4), b1 (4,), W2 (4, 2), W3 (3, 4)를 6번 갱신, 상태는 이름으로 보관",
            "6.1.7, (−7, 2)에서 lr = 0.1, 30단계",
        ],
        &["✓ Momentum: 6 updates of W1", "30 steps of 6.1.7"],
        &[],
    );
}

// ---- chapter 7 ----

#[test]
fn chapter_7_mistakes_in_korean() {
    let (ko, en) = both(|| check_output_size(|h, f, s, p| (h + 2 * p - f) / s));
    assert_korean(
        &ko,
        &en,
        &[
            "✗ Output size: H = 4, FH = 3, S = 1, P = 1: 여러분의 값 3, 기댓값",
            "(1을 더하세요. 첫 윈도우는 위치 0에 놓입니다)",
        ],
        &["H = 4, FH = 3, S = 1, P = 1: yours 3, expected", "add 1"],
        &["Output size"],
    );

    let (ko, en) = both(|| check_output_size(|h, f, s, _| h.saturating_sub(f) / s + 1));
    assert_korean(
        &ko,
        &en,
        &["패딩이 빠졌습니다"],
        &["the padding is missing"],
        &["Output size"],
    );

    // the right numbers, each row's columns reversed
    let reversed = |x: &Array4<f64>, fh, fw, s, p| -> Array2<f64> {
        let col = dlfs::im2col::im2col(x, fh, fw, s, p);
        let mut out = col.clone();
        for (mut row, src) in out.rows_mut().into_iter().zip(col.rows()) {
            for (a, b) in row.iter_mut().zip(src.iter().rev()) {
                *a = *b;
            }
        }
        out
    };
    let (ko, en) = both(|| check_im2col(reversed));
    assert_korean(
        &ko,
        &en,
        &[
            "✗ im2col: x 형상 (1, 1, 4, 4), 2×2 필터, 스트라이드 2, 패딩 0의 im2col: 최대",
            "값은 맞지만 순서가 다릅니다 (행은 (n, oh, ow), 열은 (c, fh, fw) 순서)",
        ],
        &["im2col of x of shape (1, 1, 4, 4)", "another order"],
        &[],
    );

    // the padding forgotten: too few rows
    let (ko, en) = both(|| check_im2col(|x, fh, fw, s, _| dlfs::im2col::im2col(x, fh, fw, s, 0)));
    assert_korean(
        &ko,
        &en,
        &["형상이 (", "이어야 합니다"],
        &["your shape is"],
        &[],
    );
}

#[test]
fn chapter_7_todo_and_pass_in_korean() {
    let (ko, en) = both(|| check_col2im(|_, _, _, _, _, _| -> Array4<f64> { todo!("+=") }));
    assert_eq!(ko, "… col2im: 아직 작성 전: +=");
    assert_eq!(en, "… col2im: not done yet: +=");

    let (ko, en) = both(|| check_output_size(dlfs::im2col::conv_output_size));
    assert_korean(
        &ko,
        &en,
        &[
            "✓ Output size: 책의 예와 크기 ",
            "가지 (H 1–12, P 0–2, S 1–3, 들어가는 모든 필터)",
        ],
        &["✓ Output size: the book's examples and "],
        &["Output size"],
    );

    let (ko, en) = both(|| check_pooling(|h, w, s| layers::Pooling::new(h, w, s, 0)));
    assert_korean(
        &ko,
        &en,
        &[
            "✓ Pooling: 떨어진 윈도우 (2×2와 2×3",
            "겹치는 윈도우 (3×3과 2×2, 스트라이드 1), 기울기 확인 (상대 오차 ",
        ],
        &["✓ Pooling: windows apart (2×2 and 2×3"],
        &[],
    );
}
