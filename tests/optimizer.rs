//! Each optimizer: one or two steps checked against arithmetic written out by hand.

use dlfs::layers::ParamRef;
use dlfs::ndarray::{ArrayD, array};
use dlfs::optimizer::{AdaGrad, Adam, Momentum, Nesterov, Optimizer, RMSprop, SGD};

fn close(a: f64, b: f64) {
    assert!((a - b).abs() < 1e-14, "{a} != {b} (diff {})", (a - b).abs());
}

/// One step on a single 1-element parameter "w" with gradient `g`; returns w.
fn step(opt: &mut dyn Optimizer, w: &mut ArrayD<f64>, g: f64) -> f64 {
    let mut grad = array![g].into_dyn();
    opt.update(vec![ParamRef::new("w", w, &mut grad)]);
    w[[0]]
}

#[test]
fn sgd_one_step() {
    let mut opt = SGD::new(0.1);
    let mut w = array![1.0, 2.0].into_dyn();
    let mut g = array![0.5, -1.0].into_dyn();
    opt.update(vec![ParamRef::new("w", &mut w, &mut g)]);
    close(w[[0]], 1.0 - 0.1 * 0.5); // 0.95
    close(w[[1]], 2.0 + 0.1 * 1.0); // 2.1
    assert_eq!(SGD::default().lr, 0.01);
}

#[test]
fn momentum_two_steps() {
    let mut opt = Momentum::new(0.1);
    let mut w = array![1.0].into_dyn();
    // v = 0.9·0 − 0.1·0.5 = −0.05; w = 1 − 0.05 = 0.95
    close(step(&mut opt, &mut w, 0.5), 0.95);
    // v = 0.9·(−0.05) − 0.05 = −0.095; w = 0.95 − 0.095 = 0.855
    close(step(&mut opt, &mut w, 0.5), 0.855);
    assert_eq!(
        (Momentum::default().lr, Momentum::default().momentum),
        (0.01, 0.9)
    );
}

#[test]
fn nesterov_three_steps_use_the_old_velocity() {
    let mut opt = Nesterov::new(0.1);
    let mut w = array![1.0].into_dyn();
    // the step uses the velocity before this update (the book, arXiv 1212.0901):
    // w = 1 + 0.81·0 − 1.9·0.1·0.5 = 0.905; then v = −0.05
    close(step(&mut opt, &mut w, 0.5), 0.905);
    // w = 0.905 + 0.81·(−0.05) − 0.095 = 0.7695; then v = 0.9·(−0.05) − 0.05 = −0.095
    close(step(&mut opt, &mut w, 0.5), 0.7695);
    // w = 0.7695 + 0.81·(−0.095) − 0.095 = 0.59755; then v = −0.1355
    close(step(&mut opt, &mut w, 0.5), 0.59755);
    close(opt.v["w"][[0]], -0.1355);
}

#[test]
fn nesterov_first_step_on_the_book_function() {
    // f = x²/20 + y² from (−7, 2), lr 0.1: gradient (−0.7, 4), first step to (−6.867, 1.24)
    // (the new-velocity form would land at (−6.8103, 0.916))
    let (x, y) = Nesterov::new(0.1).update_xy((-7.0, 2.0), (-0.7, 4.0));
    close(x, -6.867);
    close(y, 1.24);
}

#[test]
fn adagrad_two_steps() {
    let mut opt = AdaGrad::new(0.1);
    let mut w = array![1.0].into_dyn();
    // h = 0.25; w = 1 − 0.1·0.5 / (0.5 + 1e-7)
    let w1 = 1.0 - 0.05 / (0.5 + 1e-7);
    close(step(&mut opt, &mut w, 0.5), w1);
    // h = 0.5; w = w1 − 0.1·0.5 / (√0.5 + 1e-7)
    close(
        step(&mut opt, &mut w, 0.5),
        w1 - 0.05 / (0.5f64.sqrt() + 1e-7),
    );
}

#[test]
fn rmsprop_two_steps() {
    let mut opt = RMSprop::new(0.1);
    let mut w = array![1.0].into_dyn();
    // h = 0.99·0 + 0.01·0.25 = 0.0025; √h = 0.05; w = 1 − 0.05 / (0.05 + 1e-7)
    let w1 = 1.0 - 0.05 / (0.05 + 1e-7);
    close(step(&mut opt, &mut w, 0.5), w1);
    // g = 1: h = 0.99·0.0025 + 0.01·1 = 0.012475; w = w1 − 0.1 / (√0.012475 + 1e-7)
    close(
        step(&mut opt, &mut w, 1.0),
        w1 - 0.1 / (0.012475f64.sqrt() + 1e-7),
    );
    assert_eq!(RMSprop::default().decay_rate, 0.99);
}

#[test]
fn adam_two_steps() {
    let mut opt = Adam::default();
    assert_eq!((opt.lr, opt.beta1, opt.beta2), (0.001, 0.9, 0.999));
    let mut w = array![1.0].into_dyn();
    // t = 1: lr_t = 0.001·√(1 − 0.999) / (1 − 0.9); m = 0.1·0.5 = 0.05; v = 0.001·0.25 = 0.00025
    let lr1 = 0.001 * (1.0f64 - 0.999).sqrt() / (1.0 - 0.9);
    let w1 = 1.0 - lr1 * 0.05 / (0.00025f64.sqrt() + 1e-7);
    close(step(&mut opt, &mut w, 0.5), w1);
    // t = 2, g = −0.5: m = 0.05 + 0.1·(−0.5 − 0.05) = −0.005;
    // v = 0.00025 + 0.001·(0.25 − 0.00025) = 0.00049975
    let lr2 = 0.001 * (1.0f64 - 0.999 * 0.999).sqrt() / (1.0 - 0.9 * 0.9);
    let m2 = 0.05 + 0.1 * (-0.5 - 0.05);
    let v2: f64 = 0.00025 + 0.001 * (0.25 - 0.00025);
    close(
        step(&mut opt, &mut w, -0.5),
        w1 - lr2 * m2 / (v2.sqrt() + 1e-7),
    );
    close(opt.m["w"][[0]], -0.005);
    close(opt.v["w"][[0]], 0.00049975);
    assert_eq!(opt.iter, 2);
}

#[test]
fn adam_counts_steps_not_params() {
    let mut opt = Adam::new(0.01);
    let (mut a, mut ga) = (array![1.0].into_dyn(), array![1.0].into_dyn());
    let (mut b, mut gb) = (array![1.0].into_dyn(), array![1.0].into_dyn());
    opt.update(vec![
        ParamRef::new("a", &mut a, &mut ga),
        ParamRef::new("b", &mut b, &mut gb),
    ]);
    assert_eq!(opt.iter, 1);
    // both params got the t = 1 step size
    assert_eq!(a, b);
}

#[test]
fn state_is_keyed_by_name() {
    let mut opt = Momentum::new(0.1);
    let (mut a, mut ga) = (array![0.0].into_dyn(), array![1.0].into_dyn());
    let (mut b, mut gb) = (array![0.0, 0.0].into_dyn(), array![-1.0, 2.0].into_dyn());
    for _ in 0..2 {
        opt.update(vec![
            ParamRef::new("a", &mut a, &mut ga),
            ParamRef::new("b", &mut b, &mut gb),
        ]);
    }
    // a: v = −0.1, then −0.19; a = −0.29. b: v = (0.1, −0.2), then (0.19, −0.38).
    close(opt.v["a"][[0]], -0.19);
    close(a[[0]], -0.29);
    close(opt.v["b"][[0]], 0.19);
    close(opt.v["b"][[1]], -0.38);
    close(b[[1]], -0.58);
}

#[test]
fn update_xy_matches_arrays() {
    let mut by_xy = Adam::new(0.3);
    let mut by_arrays = Adam::new(0.3);
    let (mut x, mut y) = (-7.0, 2.0);
    let (mut xa, mut ya) = (array![-7.0].into_dyn(), array![2.0].into_dyn());
    for _ in 0..3 {
        let grad = (x / 10.0, 2.0 * y);
        (x, y) = by_xy.update_xy((x, y), grad);
        let mut gx = xa.mapv(|v| v / 10.0);
        let mut gy = ya.mapv(|v| 2.0 * v);
        by_arrays.update(vec![
            ParamRef::new("x", &mut xa, &mut gx),
            ParamRef::new("y", &mut ya, &mut gy),
        ]);
    }
    assert_eq!((x, y), (xa[[0]], ya[[0]]));
}

#[test]
#[should_panic(
    expected = "Adam.update: gradient of \"W1\" has shape [3, 2], but the parameter has shape [2, 3]"
)]
fn grad_shape_mismatch_panics() {
    let mut w = ArrayD::zeros(vec![2, 3]);
    let mut g = ArrayD::zeros(vec![3, 2]);
    Adam::default().update(vec![ParamRef::new("W1", &mut w, &mut g)]);
}

#[test]
#[should_panic(expected = "SGD.update: parameter name \"W\" appears twice")]
fn duplicate_name_panics() {
    let (mut a, mut ga) = (array![1.0].into_dyn(), array![1.0].into_dyn());
    let (mut b, mut gb) = (array![1.0].into_dyn(), array![1.0].into_dyn());
    SGD::default().update(vec![
        ParamRef::new("W", &mut a, &mut ga),
        ParamRef::new("W", &mut b, &mut gb),
    ]);
}

/// Parameters this large are updated by several threads at once (when there are several):
/// every element must get exactly the update a one-element parameter gets.
#[test]
fn large_parameters_update_like_single_elements() {
    type Make = fn() -> Box<dyn Optimizer>;
    let makers: [(&str, Make); 6] = [
        ("SGD", || Box::new(SGD::new(0.1))),
        ("Momentum", || Box::new(Momentum::new(0.1))),
        ("Nesterov", || Box::new(Nesterov::new(0.1))),
        ("AdaGrad", || Box::new(AdaGrad::new(0.1))),
        ("RMSprop", || Box::new(RMSprop::new(0.1))),
        ("Adam", || Box::new(Adam::new(0.1))),
    ];
    let n = 70_001;
    let value = |i: usize| ((i * 37) % 101) as f64 / 50.0 - 1.0;
    let grad = |i: usize, s: usize| ((i * 13 + s * 7) % 97) as f64 / 40.0 - 1.2;
    for (name, make) in makers {
        let mut big = make();
        let mut w = ArrayD::from_shape_fn(vec![n], |ix| value(ix[0]));
        for s in 0..3 {
            let mut g = ArrayD::from_shape_fn(vec![n], |ix| grad(ix[0], s));
            big.update(vec![ParamRef::new("W", &mut w, &mut g)]);
        }
        for i in [0, 1, 4_095, 35_000, 35_001, 69_999, 70_000] {
            let mut one = make();
            let mut wi = array![value(i)].into_dyn();
            for s in 0..3 {
                step(one.as_mut(), &mut wi, grad(i, s));
            }
            assert_eq!(w[[i]].to_bits(), wi[[0]].to_bits(), "{name}, element {i}");
        }
    }
}

#[test]
fn each_optimizer_is_named_as_in_the_book() {
    // the names label the curves of 6.1.7 and 6.1.8 and the exercise reports
    let names: Vec<&str> = [
        &SGD::default() as &dyn Optimizer,
        &Momentum::default(),
        &Nesterov::default(),
        &AdaGrad::default(),
        &RMSprop::default(),
        &Adam::default(),
    ]
    .iter()
    .map(|o| o.name())
    .collect();
    assert_eq!(
        names,
        ["SGD", "Momentum", "Nesterov", "AdaGrad", "RMSprop", "Adam"]
    );
}
