//! The chapter-7 array diagrams draw the numbers a convolution, a pooling and im2col
//! compute: each expected value here is computed in the test (im2col · filter, or a plain
//! loop), never typed in, except the book's printed results they must also match.

use dlfs::im2col::im2col;
use dlfs::ndarray::{Array2, array};
use dlfs::plot::{ArrayDiagram, ConvDiagram, Figure, Im2colDiagram, Plot, PoolDiagram};

/// The book's 4×4 input and 3×3 filter (7.2.2).
fn book_input() -> Array2<f64> {
    array![
        [1., 2., 3., 0.],
        [0., 1., 2., 3.],
        [3., 0., 1., 2.],
        [2., 3., 0., 1.]
    ]
}
fn book_filter() -> Array2<f64> {
    array![[2., 0., 1.], [0., 1., 2.], [1., 0., 2.]]
}

/// The numbers drawn in the cells of the array labelled `label`, row by row as drawn
/// (padding included), and the fill colours of its windows.
fn cells(fig: &Figure, label: &str) -> (Vec<String>, Vec<String>) {
    let svg = fig.svg().expect("an SVG figure");
    let d = roxmltree::Document::parse(svg).expect("SVG parses");
    let g = d
        .descendants()
        .find(|n| n.attribute("data-array") == Some(label))
        .unwrap_or_else(|| panic!("no array labelled {label:?}"));
    let texts = g
        .children()
        .filter(|n| n.has_tag_name("text") && n.attribute("font-size") == Some("16"))
        .map(|n| n.text().unwrap_or("").to_string())
        .collect();
    let fills = g
        .children()
        .filter(|n| n.has_tag_name("rect") && n.attribute("fill-opacity").is_some())
        .map(|n| n.attribute("fill").unwrap_or("").to_string())
        .collect();
    (texts, fills)
}

/// conv(x, w) by im2col: one row per window, times the flattened filter.
fn conv_by_im2col(x: &Array2<f64>, w: &Array2<f64>, stride: usize, pad: usize) -> Array2<f64> {
    let (h, wd) = x.dim();
    let (fh, fw) = w.dim();
    let x4 = x.clone().into_shape_with_order((1, 1, h, wd)).unwrap();
    let col = im2col(&x4, fh, fw, stride, pad);
    let oh = (h + 2 * pad - fh) / stride + 1;
    let ow = (wd + 2 * pad - fw) / stride + 1;
    let w_col = w.clone().into_shape_with_order((fh * fw, 1)).unwrap();
    col.dot(&w_col).into_shape_with_order((oh, ow)).unwrap()
}

fn as_text(a: &Array2<f64>) -> Vec<String> {
    a.iter().map(|v| format!("{v:.0}")).collect()
}

#[test]
fn convolution_draws_what_im2col_computes_and_the_books_numbers() {
    let (x, w) = (book_input(), book_filter());
    let expected = conv_by_im2col(&x, &w, 1, 0);
    assert_eq!(
        expected,
        array![[15., 16.], [6., 15.]],
        "the book's figure 7-4"
    );
    let fig = ConvDiagram::new("", &x, &w).build();
    assert_eq!(cells(&fig, "output (2, 2)").0, as_text(&expected));
    assert_eq!(cells(&fig, "input (4, 4)").0, as_text(&x));
    // the first window on the input and the first output cell share one colour
    let (_, in_fill) = cells(&fig, "input (4, 4)");
    let (_, out_fill) = cells(&fig, "output (2, 2)");
    assert_eq!((in_fill.len(), &in_fill), (1, &out_fill));
}

#[test]
fn bias_is_added_to_every_output_cell() {
    let (x, w) = (book_input(), book_filter());
    let expected = conv_by_im2col(&x, &w, 1, 0) + 3.0;
    assert_eq!(
        expected,
        array![[18., 19.], [9., 18.]],
        "the book's figure 7-5"
    );
    let fig = ConvDiagram::new("", &x, &w).bias(3.0).build();
    assert_eq!(cells(&fig, "output + bias").0, as_text(&expected));
    assert_eq!(cells(&fig, "bias").0, ["3"]);
}

#[test]
fn padding_draws_a_ring_of_zeros_and_the_4x4_output() {
    let (x, w) = (book_input(), book_filter());
    let expected = conv_by_im2col(&x, &w, 1, 1);
    assert_eq!(
        expected,
        array![
            [7., 12., 10., 2.],
            [4., 15., 16., 10.],
            [10., 6., 15., 6.],
            [8., 10., 4., 3.]
        ],
        "the book's figure 7-6"
    );
    let fig = ConvDiagram::new("", &x, &w).pad(1).build();
    assert_eq!(cells(&fig, "output (4, 4)").0, as_text(&expected));
    let drawn = cells(&fig, "input (4, 4), padding 1").0;
    assert_eq!(drawn.len(), 36);
    let mut padded = Array2::<f64>::zeros((6, 6));
    padded.slice_mut(dlfs::ndarray::s![1..5, 1..5]).assign(&x);
    assert_eq!(drawn, as_text(&padded));
}

#[test]
fn stride_2_on_7x7_gives_3x3_and_outlines_the_first_two_windows() {
    let x = Array2::from_shape_fn((7, 7), |(i, j)| ((i * 7 + j) % 5) as f64);
    let w = book_filter();
    let expected = conv_by_im2col(&x, &w, 2, 0);
    let fig = ConvDiagram::new("", &x, &w).stride(2).windows(2).build();
    assert_eq!(cells(&fig, "output (3, 3)").0, as_text(&expected));
    let svg = fig.svg().unwrap();
    // two coloured outlines on the input (blue, orange), the two output cells filled
    assert!(svg.contains(r##"stroke="#1F77B4" stroke-width="3""##));
    assert!(svg.contains(r##"stroke="#FF7F0E" stroke-width="3""##));
    assert_eq!(cells(&fig, "output (3, 3)").1, ["#1F77B4", "#FF7F0E"]);
}

#[test]
fn steps_fill_the_output_one_cell_per_row() {
    let fig = ConvDiagram::new("", &book_input(), &book_filter())
        .windows(4)
        .steps(true)
        .build();
    let svg = fig.svg().unwrap();
    let d = roxmltree::Document::parse(svg).unwrap();
    let outputs: Vec<Vec<String>> = d
        .descendants()
        .filter(|n| n.attribute("data-array") == Some("output (2, 2)"))
        .map(|g| {
            g.children()
                .filter(|n| n.attribute("font-size") == Some("16"))
                .map(|n| n.text().unwrap_or("").to_string())
                .collect()
        })
        .collect();
    assert_eq!(outputs.len(), 4);
    assert_eq!(outputs[0], ["15", "", "", ""]);
    assert_eq!(outputs[3], ["15", "16", "6", "15"]);
}

#[test]
fn a_filter_larger_than_the_input_is_refused_naming_both_shapes() {
    let big = Array2::<f64>::ones((5, 5));
    let conv = ConvDiagram::new("", &book_input(), &big);
    let e = conv.try_build().unwrap_err().to_string();
    assert!(
        e.contains("ConvDiagram") && e.contains("(5, 5)") && e.contains("(4, 4)"),
        "{e}"
    );
    assert!(conv.build().is_error());
    // with padding 1 it fits
    assert!(!conv.pad(1).build().is_error());
    let e = ConvDiagram::new("", &book_input(), &book_filter())
        .stride(0)
        .try_build();
    assert!(e.unwrap_err().to_string().contains("stride"));
}

#[test]
fn max_pooling_draws_each_windows_max_in_the_windows_colour() {
    let x = array![
        [1., 2., 1., 0.],
        [0., 1., 2., 3.],
        [3., 0., 1., 2.],
        [2., 4., 0., 1.]
    ];
    let mut expected = Array2::<f64>::zeros((2, 2));
    for ((i, j), v) in expected.indexed_iter_mut() {
        *v = (0..4)
            .map(|k| x[[2 * i + k / 2, 2 * j + k % 2]])
            .fold(f64::NEG_INFINITY, f64::max);
    }
    assert_eq!(
        expected,
        array![[2., 3.], [4., 2.]],
        "the book's figure 7-14"
    );
    let fig = PoolDiagram::new("", &x).build();
    let (out, out_fill) = cells(&fig, "max pooling (2, 2)");
    assert_eq!(out, as_text(&expected));
    let (_, in_fill) = cells(&fig, "input (4, 4)");
    assert_eq!(in_fill.len(), 4);
    assert_eq!(
        in_fill, out_fill,
        "window k and output cell k share a colour"
    );
    let unique: std::collections::BTreeSet<_> = in_fill.iter().collect();
    assert_eq!(unique.len(), 4, "four colours");
    assert!(
        fig.svg()
            .unwrap()
            .contains(r#"font-weight="bold">4</text>"#)
    );
    let e = PoolDiagram::new("", &x)
        .size(5, 5)
        .try_build()
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("PoolDiagram") && e.contains("5×5") && e.contains("(4, 4)"),
        "{e}"
    );
}

#[test]
fn im2col_rows_are_the_windows_unrolled() {
    let x = Array2::from_shape_fn((4, 4), |(i, j)| (4 * i + j + 1) as f64);
    let fig = Im2colDiagram::new("", &x).build();
    let (drawn, fills) = cells(&fig, "im2col → (4, 9)");
    // window k at (k / 2, k % 2), unrolled row by row
    let mut expected = Vec::new();
    for k in 0..4 {
        for a in 0..3 {
            for b in 0..3 {
                expected.push(format!("{}", x[[k / 2 + a, k % 2 + b]]));
            }
        }
    }
    assert_eq!(drawn, expected);
    assert_eq!(fills.len(), 4);
    let svg = fig.svg().unwrap();
    for color in &fills {
        let outline = format!(r#"fill="none" stroke="{color}" stroke-width="3""#);
        assert!(
            svg.matches(&outline).count() >= 2,
            "window and row in {color}"
        );
    }
    let e = Im2colDiagram::new("", &x)
        .filter(5, 5)
        .try_build()
        .unwrap_err();
    assert!(e.to_string().contains("Im2colDiagram"));
}

#[test]
fn array_diagram_refuses_a_window_outside_its_array_naming_the_array_and_shape() {
    let d = ArrayDiagram::new("")
        .array("x", &array![[1.0, 2.0], [3.0, 4.0]])
        .window(1, 0, (2, 2), 0);
    let e = d.try_build().unwrap_err().to_string();
    assert!(
        e.contains("ArrayDiagram") && e.contains("\"x\"") && e.contains("2×2"),
        "{e}"
    );
    assert!(d.build().is_error());
    let e = ArrayDiagram::new("")
        .pad(1)
        .try_build()
        .unwrap_err()
        .to_string();
    assert!(e.contains(".pad()") && e.contains(".array("), "{e}");
}

#[test]
fn array_diagram_pads_with_grey_zeros_and_prints_numbers_briefly() {
    let fig = ArrayDiagram::new("")
        .array("x", &array![[5.0, -0.5, 1.0 / 3.0, f64::NAN]])
        .pad(1)
        .build();
    let svg = fig.svg().unwrap();
    assert_eq!(
        svg.matches(r##"fill="#EEEEEE""##).count(),
        14,
        "a ring of 14 cells"
    );
    let (drawn, _) = cells(&fig, "x");
    assert_eq!(
        &drawn[7..11],
        ["5", "-0.5", "0.33", ""],
        "whole, short, 2 decimals, NaN empty"
    );
    assert_eq!(drawn.iter().filter(|t| *t == "0").count(), 14);
}
