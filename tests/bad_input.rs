//! Bad input, as a new user would try it: one table per area (every layer's forward and
//! backward, pooling geometry, every optimizer, the Trainer's entry), each case asserting
//! that the panic or error names the thing (layer, operation, both shapes; array, sample).
//! Plus what a table cannot hold: the refused step's buffers, the warnings on stderr
//! (batch norm on one sample, `DLFS_THREADS` too late), the parameter file's mode and links.
//! docs/bad-input.md lists every case with what happens and why.

use std::panic::{AssertUnwindSafe, catch_unwind};

mod common;

use common::blobs;
use dlfs::prelude::*;

/// The message of the panic `f` raises, or `None` if it returns.
fn panic_of(f: impl FnOnce()) -> Option<String> {
    let e = catch_unwind(AssertUnwindSafe(f)).err()?;
    Some(
        e.downcast_ref::<String>()
            .cloned()
            .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default(),
    )
}

/// "" if `msg` holds every word, else what is wrong with `case`.
fn missing(case: &str, msg: Option<String>, words: &[&str]) -> String {
    match msg {
        None => format!("{case}: no panic or error\n"),
        Some(m) => match words.iter().find(|w| !m.contains(**w)) {
            Some(w) => format!("{case}: {w:?} not in: {m}\n"),
            None => String::new(),
        },
    }
}

/// The words a message must hold.
type Words = Vec<&'static str>;

/// Something to try, in a table.
type Try<'a> = Box<dyn FnOnce() + 'a>;

fn z(shape: &[usize]) -> ArrayD<f64> {
    ArrayD::zeros(IxDyn(shape))
}

fn ones(shape: &[usize]) -> ArrayD<f64> {
    ArrayD::ones(IxDyn(shape))
}

fn affine() -> Box<dyn Layer> {
    let w = Array2::from_shape_fn((4, 3), |(i, j)| (i + j) as f64 * 0.1);
    Box::new(Affine::new(w, Array1::zeros(3)))
}

fn conv() -> Convolution {
    Convolution::new(Array4::ones((3, 1, 3, 3)), Array1::zeros(3), 1, 0)
}

fn conv_relu_pool() -> Box<dyn Layer> {
    Box::new(ConvReluPool::new(conv(), Pooling::new(2, 2, 2, 0)))
}

/// (case, layer, x's shape, a wrong dout's shape, words of the message)
type BackwardCase = (
    &'static str,
    Box<dyn Layer>,
    Vec<usize>,
    Vec<usize>,
    Vec<&'static str>,
);

#[test]
fn every_backward_refuses_a_dout_of_another_shape_than_its_output() {
    let cases: Vec<BackwardCase> = vec![
        // the cases: x (2, 4), W (4, 3), output (2, 3)
        (
            "Affine (3, 2)",
            affine(),
            vec![2, 4],
            vec![3, 2],
            vec!["Affine.backward", "[3, 2]", "[2, 3]"],
        ),
        (
            "Affine (6, 1)",
            affine(),
            vec![2, 4],
            vec![6, 1],
            vec!["Affine.backward", "[6, 1]", "[2, 3]"],
        ),
        (
            "Affine (1, 6)",
            affine(),
            vec![2, 4],
            vec![1, 6],
            vec!["Affine.backward", "[1, 6]", "[2, 3]"],
        ),
        (
            "Affine (6,)",
            affine(),
            vec![2, 4],
            vec![6],
            vec!["Affine.backward", "[6]", "[2, 3]"],
        ),
        (
            "Affine (2, 3, 1)",
            affine(),
            vec![2, 4],
            vec![2, 3, 1],
            vec!["Affine.backward", "[2, 3, 1]", "[2, 3]"],
        ),
        (
            "Affine 4-D x",
            affine(),
            vec![3, 1, 2, 2],
            vec![1, 9],
            vec!["Affine.backward", "[1, 9]", "[3, 3]"],
        ),
        (
            "Affine one sample",
            affine(),
            vec![4],
            vec![1, 3],
            vec!["Affine.backward", "[1, 3]", "[3]"],
        ),
        (
            "Relu",
            Box::new(Relu::new()),
            vec![2, 3],
            vec![3, 2],
            vec!["Relu.backward", "[3, 2]", "[2, 3]"],
        ),
        (
            "Sigmoid",
            Box::new(Sigmoid::new()),
            vec![2, 3],
            vec![3, 2],
            vec!["Sigmoid.backward", "[3, 2]", "[2, 3]"],
        ),
        (
            "Dropout",
            Box::new(Dropout::new(0.5, 1)),
            vec![2, 3],
            vec![3, 2],
            vec!["Dropout.backward", "[3, 2]", "[2, 3]"],
        ),
        (
            "BatchNormalization",
            Box::new(BatchNormalization::new(3)),
            vec![2, 3],
            vec![3, 2],
            vec!["BatchNormalization.backward", "[3, 2]", "[2, 3]"],
        ),
        (
            "BatchNormalization 4-D",
            Box::new(BatchNormalization::new(3)),
            vec![2, 3, 2, 2],
            vec![2, 3, 4, 1],
            vec![
                "BatchNormalization.backward",
                "[2, 3, 4, 1]",
                "[2, 3, 2, 2]",
            ],
        ),
        (
            "Convolution",
            Box::new(conv()),
            vec![2, 1, 5, 5],
            vec![2, 3, 9, 1],
            vec!["Convolution.backward", "[2, 3, 9, 1]", "[2, 3, 3, 3]"],
        ),
        (
            "Pooling",
            Box::new(Pooling::new(2, 2, 2, 0)),
            vec![1, 1, 4, 4],
            vec![1, 1, 4, 1],
            vec!["Pooling.backward", "[1, 1, 4, 1]", "[1, 1, 2, 2]"],
        ),
        (
            "ConvReluPool",
            conv_relu_pool(),
            vec![2, 1, 6, 6],
            vec![2, 3, 4, 1],
            vec!["ConvReluPool.backward", "[2, 3, 4, 1]", "[2, 3, 2, 2]"],
        ),
    ];
    let mut report = String::new();
    for (case, mut layer, x, dout, words) in cases {
        layer.forward(&ones(&x), true);
        report += &missing(
            case,
            panic_of(|| drop(layer.backward(&ones(&dout)))),
            &words,
        );
    }
    assert!(report.is_empty(), "\n{report}");
}

/// (case, layer, a wrong x's shape, words of the message)
type ForwardCase = (&'static str, Box<dyn Layer>, Vec<usize>, Vec<&'static str>);

#[test]
fn every_forward_refuses_an_input_that_does_not_fit() {
    let cases: Vec<ForwardCase> = vec![
        (
            "Affine",
            affine(),
            vec![2, 5],
            vec!["Affine.forward", "[2, 5]", "(N, 4)"],
        ),
        ("Affine 0-D", affine(), vec![], vec!["Affine.forward", "[]"]),
        (
            "BatchNormalization",
            Box::new(BatchNormalization::new(3)),
            vec![2, 4],
            vec!["BatchNormalization.forward", "[2, 4]", "(N, 3)"],
        ),
        (
            "BatchNormalization 3-D",
            Box::new(BatchNormalization::new(3)),
            vec![2, 3, 4],
            vec!["BatchNormalization.forward", "[2, 3, 4]"],
        ),
        (
            "BatchNormalization empty batch",
            Box::new(BatchNormalization::new(3)),
            vec![0, 3],
            vec!["BatchNormalization.forward", "[0, 3]", "N > 0"],
        ),
        (
            "Convolution channels",
            Box::new(conv()),
            vec![2, 2, 5, 5],
            vec!["Convolution.forward", "[2, 2, 5, 5]", "(N, 1, H, W)"],
        ),
        (
            "Convolution too small",
            Box::new(conv()),
            vec![2, 1, 2, 5],
            vec!["Convolution.forward", "[2, 1, 2, 5]"],
        ),
        (
            "Pooling 2-D",
            Box::new(Pooling::new(2, 2, 2, 0)),
            vec![4, 4],
            vec!["Pooling.forward", "[4, 4]", "(N, C, H, W)"],
        ),
        (
            "Pooling too small",
            Box::new(Pooling::new(3, 3, 1, 0)),
            vec![1, 1, 2, 2],
            vec!["Pooling.forward", "[1, 1, 2, 2]"],
        ),
        (
            "ConvReluPool channels",
            conv_relu_pool(),
            vec![2, 2, 6, 6],
            vec!["Convolution.forward", "[2, 2, 6, 6]"],
        ),
    ];
    let mut report = String::new();
    for (case, mut layer, x, words) in cases {
        report += &missing(case, panic_of(|| drop(layer.forward(&z(&x), true))), &words);
    }
    let m = panic_of(|| {
        SoftmaxWithLoss::new().forward(&z(&[2, 3]), &z(&[3]));
    });
    report += &missing(
        "SoftmaxWithLoss labels",
        m,
        &["labels", "[3]", "(2,)", "(2, 3)"],
    );
    assert!(report.is_empty(), "\n{report}");
}

#[test]
fn pooling_and_convolution_check_geometry_changed_through_their_fields() {
    let x = ones(&[1, 1, 6, 6]);
    let cases: Vec<(&str, Try, Words)> = vec![
        (
            "Pooling pad = window",
            Box::new(|| {
                let mut p = Pooling::new(2, 2, 2, 0);
                p.pad = 2;
                p.forward(&x, true);
            }),
            vec!["Pooling.forward", "pad 2", "2×2 window"],
        ),
        (
            "Pooling pad > window",
            Box::new(|| {
                let mut p = Pooling::new(3, 3, 1, 0);
                p.pad = 5;
                p.forward(&x, true);
            }),
            vec!["Pooling.forward", "pad 5", "3×3 window"],
        ),
        (
            "Pooling stride 0",
            Box::new(|| {
                let mut p = Pooling::new(2, 2, 2, 0);
                p.stride = 0;
                p.forward(&x, true);
            }),
            vec!["Pooling.forward", "stride"],
        ),
        (
            "Convolution stride 0",
            Box::new(|| {
                let mut c = conv();
                c.stride = 0;
                c.forward(&x, true);
            }),
            vec!["Convolution", "stride 0"],
        ),
        (
            "ConvReluPool pool stride 0",
            Box::new(|| {
                let mut l = ConvReluPool::new(conv(), Pooling::new(2, 2, 2, 0));
                l.pool.stride = 0;
                l.forward(&x, true);
            }),
            vec!["Pooling.forward", "stride"],
        ),
        (
            "ConvReluPool pool pad",
            Box::new(|| {
                let mut l = ConvReluPool::new(conv(), Pooling::new(2, 2, 2, 0));
                l.pool.pad = 3;
                l.forward(&x, true);
            }),
            vec!["Pooling.forward", "pad 3"],
        ),
    ];
    let mut report = String::new();
    for (case, f, words) in cases {
        report += &missing(case, panic_of(f), &words);
    }
    assert!(report.is_empty(), "\n{report}");
}

type Make = fn(f64) -> Box<dyn Optimizer>;

/// (name, `new`, the same optimizer with `lr` set through its field, bypassing `new`)
fn optimizers() -> Vec<(&'static str, Make, Make)> {
    vec![
        (
            "SGD",
            |lr| Box::new(SGD::new(lr)),
            |lr| Box::new(SGD { lr }),
        ),
        (
            "Momentum",
            |lr| Box::new(Momentum::new(lr)),
            |lr| {
                Box::new(Momentum {
                    lr,
                    ..Momentum::new(0.1)
                })
            },
        ),
        (
            "Nesterov",
            |lr| Box::new(Nesterov::new(lr)),
            |lr| {
                Box::new(Nesterov {
                    lr,
                    ..Nesterov::new(0.1)
                })
            },
        ),
        (
            "AdaGrad",
            |lr| Box::new(AdaGrad::new(lr)),
            |lr| {
                Box::new(AdaGrad {
                    lr,
                    ..AdaGrad::new(0.1)
                })
            },
        ),
        (
            "RMSprop",
            |lr| Box::new(RMSprop::new(lr)),
            |lr| {
                Box::new(RMSprop {
                    lr,
                    ..RMSprop::new(0.1)
                })
            },
        ),
        (
            "Adam",
            |lr| Box::new(Adam::new(lr)),
            |lr| {
                Box::new(Adam {
                    lr,
                    ..Adam::new(0.1)
                })
            },
        ),
    ]
}

#[test]
fn every_optimizer_refuses_a_learning_rate_that_is_not_a_number() {
    let mut report = String::new();
    for (name, new, with_field) in optimizers() {
        for lr in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            let words = [name, ".new", "learning rate", &lr.to_string()];
            report += &missing(
                &format!("{name}::new({lr})"),
                panic_of(|| drop(new(lr))),
                &words,
            );
            let mut opt = with_field(lr);
            let (mut w, mut g) = (ones(&[2]), ones(&[2]));
            let m = panic_of(|| opt.update(vec![ParamRef::new("W", &mut w, &mut g)]));
            let words = [name, ".update", "learning rate", &lr.to_string()];
            report += &missing(&format!("{name} {{ lr: {lr} }}.update"), m, &words);
            if w != ones(&[2]) {
                report += &format!("{name} with lr {lr}: W became {w}\n");
            }
        }
    }
    assert!(report.is_empty(), "\n{report}");
}

#[test]
fn a_refused_update_moves_no_parameter() {
    let mut report = String::new();
    for (name, new, _) in optimizers() {
        let mut opt = new(0.1);
        let (mut a, mut ga) = (ones(&[2]), ones(&[2]));
        let (mut b, mut gb) = (ones(&[3]), ones(&[3]));
        opt.update(vec![
            ParamRef::new("A", &mut a, &mut ga),
            ParamRef::new("B", &mut b, &mut gb),
        ]);
        let a_before = a.clone();
        // B changed shape (the network was rebuilt): stateful optimizers refuse it; SGD
        // keeps no state, so a gradient of the wrong shape stands in
        let (mut b4, mut gb4) = (ones(&[4]), ones(&[if name == "SGD" { 3 } else { 4 }]));
        let m = panic_of(|| {
            opt.update(vec![
                ParamRef::new("A", &mut a, &mut ga),
                ParamRef::new("B", &mut b4, &mut gb4),
            ])
        });
        report += &missing(name, m, &[name, ".update", "\"B\"", "[3]", "[4]"]);
        if a != a_before {
            report += &format!("{name}: A moved from {a_before} to {a} in the refused update\n");
        }
    }
    // Adam's step count does not advance either
    let mut adam = Adam::new(0.1);
    let (mut a, mut ga, mut b, mut gb) = (ones(&[2]), ones(&[2]), ones(&[3]), ones(&[3]));
    adam.update(vec![
        ParamRef::new("A", &mut a, &mut ga),
        ParamRef::new("B", &mut b, &mut gb),
    ]);
    let (mut b4, mut gb4) = (ones(&[4]), ones(&[4]));
    let m_before = adam.m["A"].clone();
    let _ = panic_of(|| {
        adam.update(vec![
            ParamRef::new("A", &mut a, &mut ga),
            ParamRef::new("B", &mut b4, &mut gb4),
        ])
    });
    if adam.iter != 1 || adam.m["A"] != m_before {
        report += &format!(
            "Adam: iter {} and m[A] {} after a refused update\n",
            adam.iter, adam.m["A"]
        );
    }
    assert!(report.is_empty(), "\n{report}");
}

fn one_hot(t: &ArrayD<f64>) -> ArrayD<f64> {
    Array2::from_shape_fn((t.len(), 2), |(i, k)| f64::from(t[i] as usize == k)).into_dyn()
}

fn quiet() -> TrainerConfig {
    TrainerConfig {
        epochs: 2,
        mini_batch_size: 10,
        verbose: false,
        ..Default::default()
    }
}

/// The error (or panic) of training a TwoLayerNet with SGD(lr) on these arrays.
fn train_err(data: [&ArrayD<f64>; 4], lr: f64, config: TrainerConfig) -> Option<String> {
    let mut net = TwoLayerNet::new(2, 8, 2, 0.5, &mut seeded_rng(1));
    let [x, t, xt, tt] = data;
    let before = net.param_values();
    let mut out = None;
    let panicked = panic_of(|| {
        let mut trainer = Trainer::new(&mut net, x, t, xt, tt, SGD::new(lr), config);
        out = match trainer.train() {
            Err(e @ TrainError::Config(_)) => Some(e.to_string()),
            Err(e) => Some(format!("not a Config error: {e}")),
            Ok(()) => None,
        };
    });
    if let Some(p) = panicked {
        return Some(format!("panicked: {p}"));
    }
    if out.is_some() && net.param_values().0 != before.0 {
        return Some("parameters moved".into());
    }
    out
}

#[test]
fn the_trainer_names_bad_data_before_the_first_step() {
    let (x, t) = blobs();
    let with = |a: &ArrayD<f64>, at: &[usize], v: f64| {
        let mut a = a.clone();
        a[at] = v;
        a
    };
    let oh = one_hot(&t);
    let mut zero_row = oh.clone();
    zero_row.index_axis_mut(Axis(0), 4).fill(0.0);
    let (nan, inf) = (f64::NAN, f64::INFINITY);
    let t3 = t.clone().into_shape_with_order(IxDyn(&[40, 1, 1])).unwrap();
    let oh3 = oh
        .clone()
        .into_shape_with_order(IxDyn(&[40, 2, 1]))
        .unwrap();
    let cases: Vec<(&str, [ArrayD<f64>; 4], TrainerConfig, Words)> = vec![
        // item 3: bad data is named, not blamed on the learning rate (lr 1e-6 below)
        (
            "NaN pixel",
            [with(&x, &[7, 1], nan), t.clone(), x.clone(), t.clone()],
            quiet(),
            vec!["x_train holds NaN at index [7, 1] (sample 7)"],
        ),
        (
            "inf pixel",
            [with(&x, &[3, 0], inf), t.clone(), x.clone(), t.clone()],
            quiet(),
            vec!["x_train holds inf at index [3, 0] (sample 3)"],
        ),
        (
            "-inf test pixel",
            [x.clone(), t.clone(), with(&x, &[39, 1], -inf), t.clone()],
            quiet(),
            vec!["x_test holds -inf at index [39, 1] (sample 39)"],
        ),
        (
            "NaN in a one-hot label",
            [x.clone(), with(&oh, &[5, 1], nan), x.clone(), oh.clone()],
            quiet(),
            vec!["t_train holds NaN at index [5, 1] (sample 5)"],
        ),
        (
            "NaN index label",
            [x.clone(), t.clone(), x.clone(), with(&t, &[2], nan)],
            quiet(),
            vec!["t_test holds NaN at index [2] (sample 2)"],
        ),
        // item 4
        (
            "all-zero one-hot row",
            [x.clone(), zero_row, x.clone(), oh.clone()],
            quiet(),
            vec!["t_train[4] is not a one-hot label", "sum to 0"],
        ),
        (
            "negative one-hot entry",
            [
                x.clone(),
                oh.clone(),
                x.clone(),
                with(&with(&oh, &[6, 0], -1.0), &[6, 1], 2.0),
            ],
            quiet(),
            vec!["t_test[6] is not a one-hot label", "min -1"],
        ),
        (
            "labels (N, 2, 1)",
            [x.clone(), oh3, x.clone(), oh.clone()],
            quiet(),
            vec!["t_train has shape [40, 2, 1]", "(N,)", "(N, 2)"],
        ),
        (
            "labels (N, 1, 1)",
            [x.clone(), t.clone(), x.clone(), t3],
            quiet(),
            vec!["t_test has shape [40, 1, 1]"],
        ),
        // unclear case, decided: Some(0) has no accuracy
        (
            "evaluate on 0 samples",
            [x.clone(), t.clone(), x.clone(), t.clone()],
            TrainerConfig {
                evaluate_sample_num_per_epoch: Some(0),
                ..quiet()
            },
            vec!["evaluate_sample_num_per_epoch is Some(0)"],
        ),
    ];
    let mut report = String::new();
    for (case, [a, b, c, d], config, words) in cases {
        let err = train_err([&a, &b, &c, &d], 1e-6, config);
        report += &missing(case, err.clone(), &words);
        if err.is_some_and(|e| e.contains("learning rate is probably too large")) {
            report += &format!("{case}: blamed on the learning rate\n");
        }
    }
    assert!(report.is_empty(), "\n{report}");
}

/// The identity, except that its `nan_at`-th training forward pass returns NaN (a stand-in
/// for activations that overflow).
struct NanAt {
    nan_at: usize,
    seen: usize,
}

impl Layer for NanAt {
    fn forward(&mut self, x: &ArrayRef<f64, IxDyn>, train: bool) -> ArrayD<f64> {
        self.seen += usize::from(train);
        if train && self.seen == self.nan_at {
            x.mapv(|_| f64::NAN)
        } else {
            x.to_owned()
        }
    }
    fn backward(&mut self, dout: &ArrayRef<f64, IxDyn>) -> ArrayD<f64> {
        dout.to_owned()
    }
}

/// Affine → NanAt → BatchNorm → ReLU → Affine on 2 features, 2 classes.
fn bn_net(nan_at: usize) -> Sequential {
    let mut r = seeded_rng(4);
    let mut net = Sequential::new();
    net.push(
        "Affine1",
        Affine::new(randn((2, 6), &mut r), Array1::zeros(6)),
    );
    net.push("NanAt1", NanAt { nan_at, seen: 0 });
    net.push("BatchNorm1", BatchNormalization::new(6));
    net.push("Relu1", Relu::new());
    net.push(
        "Affine2",
        Affine::new(randn((6, 2), &mut r), Array1::zeros(2)),
    );
    net
}

#[test]
fn a_refused_step_leaves_every_parameter_and_buffer_as_it_was() {
    let (x, t) = blobs();
    let (x, t) = (rows_of(&x, ..20), rows_of(&t, ..20));
    let config = |epochs| TrainerConfig { epochs, ..quiet() };
    // the first step refused: the network as made
    let mut net = bn_net(1);
    let (params, buffers) = (net.param_values(), net.buffer_values());
    let err = Trainer::new(&mut net, &x, &t, &x, &t, SGD::new(0.1), config(1))
        .train()
        .unwrap_err()
        .to_string();
    assert_eq!(net.buffer_values().0, buffers.0, "running statistics moved");
    assert_eq!(net.param_values().0, params.0);
    assert!(
        err.starts_with("loss became NaN at iteration 1 (epoch 1): this is the first step"),
        "{err}"
    );
    assert!(err.contains("not the learning rate"), "{err}");
    // the third step refused (2 steps per epoch): the network after two steps
    let mut two_steps = bn_net(usize::MAX);
    Trainer::new(&mut two_steps, &x, &t, &x, &t, SGD::new(0.1), config(1))
        .train()
        .unwrap();
    let mut net = bn_net(3);
    let err = Trainer::new(&mut net, &x, &t, &x, &t, SGD::new(0.1), config(2))
        .train()
        .unwrap_err()
        .to_string();
    assert_eq!(
        net.buffer_values().0,
        two_steps.buffer_values().0,
        "running statistics moved"
    );
    assert_eq!(net.param_values().0, two_steps.param_values().0);
    assert!(
        err.contains("iteration 3 (epoch 2): the learning rate is probably too large"),
        "{err}"
    );
}

/// Runs one `child_…` test of this binary in a process of its own (with `env`) and returns
/// its stderr: warnings are said once per process, and the thread pool is sized once.
fn stderr_of_child(test: &str, env: &[(&str, &str)]) -> String {
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", test, "--nocapture", "--test-threads=1"])
        .env("DLFS_BAD_INPUT_CHILD", "1")
        .env_remove("DLFS_THREADS")
        .env_remove("RAYON_NUM_THREADS")
        .envs(env.iter().copied())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{test}: {stdout}");
    assert!(stdout.contains("1 passed"), "{test} did not run: {stdout}");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn in_child() -> bool {
    std::env::var_os("DLFS_BAD_INPUT_CHILD").is_some()
}

#[test]
fn child_batch_norm_forward_in_training() {
    if !in_child() {
        return;
    }
    let mut one = BatchNormalization::new(3);
    let y = one.forward(&ones(&[1, 3]), true);
    assert_eq!(y, z(&[1, 3]), "β");
    one.forward(&ones(&[1, 3]), true); // said once per layer
    // no word: batches of two, a sample of 2×2 values per channel, inference on one sample
    let mut fine = BatchNormalization::new(3);
    fine.forward(&ones(&[2, 3]), true);
    fine.forward(&ones(&[1, 3, 2, 2]), true);
    fine.forward(&ones(&[1, 3]), false);
}

#[test]
fn batch_norm_on_one_sample_in_training_says_so_once() {
    let err = stderr_of_child("child_batch_norm_forward_in_training", &[]);
    let warning = "BatchNormalization.forward in training on x of shape [1, 3]";
    assert_eq!(err.matches(warning).count(), 1, "{err}");
    assert!(err.contains("outputs β and learns nothing"), "{err}");
    assert!(err.contains("batches of 2 or more"), "{err}");
    assert_eq!(err.matches("dlfs:").count(), 1, "{err}");
}

#[test]
fn child_own_loop_diverging() {
    if !in_child() {
        return;
    }
    // the book's train_neuralnet.py loop, with a learning rate of 1e6: by `gradient` and by
    // `backprop` (each network says it once)
    let (x, t) = blobs();
    let mut net = TwoLayerNet::new(2, 8, 2, 0.01, &mut dlfs::init::seeded_rng(1));
    for _ in 0..30 {
        let grads = net.gradient(&x, &t);
        for p in net.params() {
            p.value.scaled_add(-1e6, &grads[p.name.as_str()]);
        }
    }
    let mut other = TwoLayerNet::new(2, 8, 2, 0.01, &mut dlfs::init::seeded_rng(1));
    let mut sgd = SGD::new(1e6);
    for _ in 0..30 {
        other.backprop(&x, &t);
        sgd.update(other.params());
    }
    // NaN in the data: the loss and the gradients are NaN from the first step
    let mut nan_x = x.clone();
    nan_x[[0, 0]] = f64::NAN;
    let mut third = TwoLayerNet::new(2, 8, 2, 0.01, &mut dlfs::init::seeded_rng(1));
    third.gradient(&nan_x, &t);
    third.gradient(&nan_x, &t);
}

/// The learner's own loop (`gradient`, then their update; or `backprop` and an optimizer)
/// with a learning rate of 1e6: the loss grows past 100× the first one, and it is said once
/// per network with what to try; NaN in the data: said at once, naming the first parameter
/// whose gradient is not finite.
#[test]
fn a_diverging_own_loop_says_so_once() {
    let err = stderr_of_child("child_own_loop_diverging", &[]);
    assert_eq!(err.matches("the training has diverged").count(), 3, "{err}");
    assert_eq!(
        err.matches("is more than 100× the first one (0.693)")
            .count(),
        2,
        "{err}"
    );
    assert!(
        err.contains("the loss is NaN and W1's gradient is not finite"),
        "{err}"
    );
    assert!(err.contains("smaller learning rate"), "{err}");
}

#[test]
fn child_rayon_first() {
    if !in_child() {
        return;
    }
    dlfs::rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .build_global()
        .unwrap();
    assert_eq!(dlfs::kernels::threads(), 2);
    assert_eq!(dlfs::kernels::threads(), 2);
}

#[test]
fn child_threads() {
    if !in_child() {
        return;
    }
    let want: usize = std::env::var("DLFS_THREADS").unwrap().parse().unwrap();
    assert_eq!(dlfs::kernels::threads(), want);
}

#[test]
fn dlfs_threads_that_comes_too_late_or_exceeds_the_cores_is_said_once() {
    let err = stderr_of_child("child_rayon_first", &[("DLFS_THREADS", "1")]);
    assert_eq!(
        err.matches("DLFS_THREADS=1 came too late").count(),
        1,
        "{err}"
    );
    assert!(err.contains("already built with 2 threads"), "{err}");
    let cores = std::thread::available_parallelism().unwrap().get();
    let more = (cores + 1).to_string();
    let err = stderr_of_child("child_threads", &[("DLFS_THREADS", &more)]);
    assert!(
        err.contains(&format!(
            "DLFS_THREADS={more} is more than this machine's {cores} cores"
        )),
        "{err}"
    );
    // the ordinary case says nothing
    let err = stderr_of_child("child_threads", &[("DLFS_THREADS", "1")]);
    assert!(!err.contains("dlfs:"), "{err}");
}

#[cfg(unix)]
#[test]
fn saving_over_a_file_keeps_its_mode_and_follows_links() {
    use std::os::unix::fs::{PermissionsExt, symlink};
    let dir = tempfile::tempdir().unwrap();
    let mut net = TwoLayerNet::new(2, 3, 2, 0.5, &mut seeded_rng(1));
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let mut report = String::new();
    let mut expect = |what: &str, got: u32, want: u32| {
        if got != want {
            report += &format!("{what}: mode {got:o}, expected {want:o}\n");
        }
    };
    // a new file: the mode of any new file (as File::create gives it)
    let plain = dir.path().join("plain");
    std::fs::File::create(&plain).unwrap();
    let path = dir.path().join("params.npz");
    net.save_params(&path).unwrap();
    expect("a new file", mode(&path), mode(&plain));
    // saved over: keeps its mode
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
    net.save_params(&path).unwrap();
    expect("saved over", mode(&path), 0o640);
    // through a (relative) symbolic link: the target is replaced, the link stays
    std::fs::create_dir(dir.path().join("keep")).unwrap();
    let target = dir.path().join("keep").join("real.npz");
    std::fs::write(&target, b"old").unwrap();
    std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o604)).unwrap();
    let link = dir.path().join("link.npz");
    symlink("keep/real.npz", &link).unwrap();
    net.save_params(&link).unwrap();
    expect("the link's target", mode(&target), 0o604);
    if !std::fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink()
    {
        report += "the link was replaced by a file\n";
    }
    let mut loaded = TwoLayerNet::new(2, 3, 2, 0.5, &mut seeded_rng(2));
    if loaded.load_params(&target).is_err() {
        report += "the link's target was not written\n";
    }
    assert!(report.is_empty(), "\n{report}");
    assert_eq!(loaded.param_values().0, net.param_values().0);
    // no temporary file left beside the link or the target
    for d in [dir.path().to_path_buf(), dir.path().join("keep")] {
        let tmp: Vec<_> = std::fs::read_dir(&d)
            .unwrap()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
            .collect();
        assert!(tmp.is_empty(), "{tmp:?}");
    }
}
