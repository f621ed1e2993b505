//! Weight initialisation and seeded sampling.

use dlfs::init::{WeightInit, choice, permutation, rand_uniform, randn, seeded_rng};

fn std_of(a: &[f64]) -> f64 {
    let n = a.len() as f64;
    let mean = a.iter().sum::<f64>() / n;
    (a.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n).sqrt()
}

#[test]
fn scales() {
    assert_eq!(WeightInit::Std(0.01).std(100), 0.01);
    assert_eq!(WeightInit::Xavier.std(100), 0.1);
    assert_eq!(WeightInit::He.std(50), 0.2);
    for (s, w) in [
        ("relu", WeightInit::He),
        ("He", WeightInit::He),
        ("sigmoid", WeightInit::Xavier),
        ("xavier", WeightInit::Xavier),
        ("0.01", WeightInit::Std(0.01)),
    ] {
        assert_eq!(s.parse::<WeightInit>().unwrap(), w);
    }
    let err = "tanh".parse::<WeightInit>().unwrap_err();
    assert_eq!(
        err.to_string(),
        "weight init \"tanh\" is not one of \"he\", \"relu\", \"xavier\", \"sigmoid\" or a number"
    );
    assert_eq!(WeightInit::from(0.5), WeightInit::Std(0.5));
}

#[test]
fn weights_have_the_requested_spread() {
    let mut r = seeded_rng(0);
    let w = WeightInit::He.weights(200, 300, &mut r);
    let s = std_of(w.as_slice().unwrap());
    println!("He(200) std: {s} (expected 0.1)");
    assert!((s - 0.1).abs() < 0.002);
    let w = WeightInit::Xavier.weights(100, 300, &mut r);
    assert!((std_of(w.as_slice().unwrap()) - 0.1).abs() < 0.002);
}

#[test]
fn seeded_and_repeatable() {
    assert_eq!(
        randn((3, 4), &mut seeded_rng(5)),
        randn((3, 4), &mut seeded_rng(5))
    );
    assert_ne!(
        randn((3, 4), &mut seeded_rng(5)),
        randn((3, 4), &mut seeded_rng(6))
    );
    let u = rand_uniform(1000, -1.0, 1.0, &mut seeded_rng(1));
    assert!(u.iter().all(|&v| (-1.0..1.0).contains(&v)));
    assert!(u.mean().unwrap().abs() < 0.1);
}

#[test]
fn choice_draws_with_replacement_and_permutation_is_a_permutation() {
    let c = choice(10, 1000, &mut seeded_rng(2));
    assert_eq!(c.len(), 1000);
    assert!(c.iter().all(|&i| i < 10));
    // with replacement: 1000 draws from 10 repeat
    let mut seen = [0usize; 10];
    c.iter().for_each(|&i| seen[i] += 1);
    assert!(seen.iter().all(|&k| k > 50));

    let mut p = permutation(100, &mut seeded_rng(3));
    assert_ne!(p, (0..100).collect::<Vec<_>>());
    p.sort();
    assert_eq!(p, (0..100).collect::<Vec<_>>());
}
