//! Every figure kind renders; SVGs parse and hold the expected elements; PNG/GIF decode.

use dlfs::ndarray::{Array2, Array4, array};
use dlfs::plot::{
    ChartGrid, Colormap, CompGraph, ContourPlot, Figure, FigureKind, FunctionPlot, GradientField,
    HistogramGrid, ImageGrid, LineChart, Normalize, Plot, PlotError, kaiser, smooth_curve,
};

const BLUE: &str = "#1F77B4";
const ORANGE: &str = "#FF7F0E";
const GREEN: &str = "#2CA02C";
const TRAJ_RED: &str = "#E41A1C";

fn doc(fig: &Figure) -> String {
    let svg = fig.svg().expect("an SVG figure");
    roxmltree::Document::parse(svg).expect("SVG parses as XML");
    svg.to_string()
}

/// Number of elements `tag` whose attribute `attr` equals `value`.
fn count(svg: &str, tag: &str, attr: &str, value: &str) -> usize {
    let d = roxmltree::Document::parse(svg).unwrap();
    d.descendants()
        .filter(|n| n.has_tag_name(tag) && n.attribute(attr) == Some(value))
        .count()
}

fn texts(svg: &str) -> Vec<String> {
    let d = roxmltree::Document::parse(svg).unwrap();
    d.descendants()
        .filter(|n| n.has_tag_name("text"))
        .map(|n| n.text().unwrap_or("").trim().to_string())
        .collect()
}

fn decode_png(bytes: &[u8]) -> (u32, u32, Vec<u8>) {
    let dec = png::Decoder::new(std::io::Cursor::new(bytes));
    let mut reader = dec.read_info().expect("PNG header");
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).expect("PNG data");
    assert_eq!(info.color_type, png::ColorType::Rgb);
    buf.truncate(info.buffer_size());
    (info.width, info.height, buf)
}

#[test]
fn line_chart_has_title_and_one_polyline_per_series() {
    let a: Vec<f64> = (0..50).map(|i| (i as f64 * 0.1).sin()).collect();
    let b = dlfs::ndarray::Array1::from_shape_fn(50, |i| (i as f64 * 0.1).cos());
    let c = [0.5; 50];
    let fig = LineChart::new("Three waves")
        .labels("iterations", "loss")
        .series("sin", &a)
        .series("cos", &b)
        .series("const", c)
        .build();
    assert_eq!(fig.kind(), FigureKind::Svg);
    assert_eq!(fig.size(), (640, 400));
    let svg = doc(&fig);
    let t = texts(&svg);
    for want in ["Three waves", "iterations", "loss", "sin", "cos", "const"] {
        assert!(
            t.iter().any(|s| s == want),
            "missing text {want:?} in {t:?}"
        );
    }
    for color in [BLUE, ORANGE, GREEN] {
        assert_eq!(
            count(&svg, "polyline", "stroke", color),
            1,
            "series {color}"
        );
    }
    // 50 points: no markers by default (more than 30)
    assert_eq!(count(&svg, "circle", "fill", BLUE), 0);
}

#[test]
fn short_series_get_markers_and_single_series_has_no_legend() {
    let acc = [0.1, 0.5, 0.7, 0.8, 0.85];
    let svg = doc(&LineChart::new("acc")
        .series("train", acc)
        .y_range(0.0, 1.0)
        .build());
    assert_eq!(count(&svg, "circle", "fill", BLUE), 5);
    assert!(
        !texts(&svg).iter().any(|s| s == "train"),
        "no legend for one series"
    );
}

#[test]
fn nan_series_renders_and_says_how_many_were_skipped() {
    let mut y: Vec<f64> = (0..40).map(|i| 1.0 / (1.0 + i as f64)).collect();
    y[10] = f64::NAN;
    y.extend([f64::INFINITY, f64::NAN]);
    let fig = LineChart::new("diverging").series("loss", &y).build();
    let svg = doc(&fig);
    assert!(
        texts(&svg)
            .iter()
            .any(|s| s == "diverging (3 non-finite values skipped)"),
        "{:?}",
        texts(&svg)
    );
    // the line breaks at the NaN: two pieces
    assert_eq!(count(&svg, "polyline", "stroke", BLUE), 2);

    let all_nan = vec![f64::NAN; 10];
    let svg = doc(&LineChart::new("nothing")
        .series("a", &all_nan)
        .smooth(true)
        .build());
    assert!(
        texts(&svg)
            .iter()
            .any(|s| s == "nothing (10 non-finite values skipped)")
    );
    assert_eq!(count(&svg, "polyline", "stroke", BLUE), 0);
}

#[test]
fn smoothing_keeps_length_constants_and_ramps() {
    let ramp: Vec<f64> = (0..100).map(|i| i as f64).collect();
    let s = smooth_curve(&ramp);
    assert_eq!(s.len(), 100);
    // a symmetric window reproduces a straight line where it fits inside the data
    for i in 10..90 {
        assert!((s[i] - ramp[i]).abs() < 1e-9, "at {i}: {}", s[i]);
    }
    let flat = smooth_curve(&[3.0; 30]);
    assert!(flat.iter().all(|v| (v - 3.0).abs() < 1e-12));
    assert_eq!(smooth_curve(&[1.0, 2.0]), vec![1.0, 2.0]);
    // np.kaiser(11, 2): ends are 1 / I0(2), I0(2) = 2.2795853023360673 (Abramowitz & Stegun table)
    let w = kaiser(11, 2.0);
    assert!((w[5] - 1.0).abs() < 1e-15);
    assert!((w[0] - 1.0 / 2.2795853023360673).abs() < 1e-12, "{}", w[0]);
    assert!((w[2] - w[8]).abs() < 1e-15);
    // noise is reduced
    let noisy: Vec<f64> = (0..200)
        .map(|i| if i % 2 == 0 { 1.0 } else { -1.0 })
        .collect();
    let sm = smooth_curve(&noisy);
    assert!(
        sm[20..180].iter().all(|v| v.abs() < 0.2),
        "{:?}",
        &sm[20..30]
    );
}

#[test]
fn function_plot_draws_each_function() {
    let fig = FunctionPlot::new("ReLU", -3.0, 3.0)
        .function("relu", |x: f64| x.max(0.0))
        .function("step", |x| if x > 0.0 { 1.0 } else { 0.0 })
        .samples(101)
        .build();
    let svg = doc(&fig);
    assert_eq!(count(&svg, "polyline", "stroke", BLUE), 1);
    assert_eq!(count(&svg, "polyline", "stroke", ORANGE), 1);
    let d = roxmltree::Document::parse(&svg).unwrap();
    let line = d
        .descendants()
        .find(|n| n.has_tag_name("polyline") && n.attribute("stroke") == Some(BLUE))
        .unwrap();
    assert_eq!(
        line.attribute("points").unwrap().split_whitespace().count(),
        101
    );
    assert!(texts(&svg).iter().any(|s| s == "ReLU"));
}

#[test]
fn chart_grid_has_all_panels_and_a_shared_legend() {
    let mut grid = ChartGrid::new("BN grid").y_range(0.0, 1.0);
    for k in 0..16 {
        let a: Vec<f64> = (0..20)
            .map(|e| 0.9 * (1.0 - (-0.3 * e as f64).exp()))
            .collect();
        let b: Vec<f64> = (0..20)
            .map(|e| 0.5 * (1.0 - (-0.1 * (e + k) as f64).exp()))
            .collect();
        grid = grid.chart(
            LineChart::new(&format!("W:{k}"))
                .series("Batch Normalization", &a)
                .series_dashed("Normal", &b),
        );
    }
    let fig = grid.build();
    assert_eq!(fig.size(), (4 * 220, 4 * 170 + 36 + 30));
    let svg = doc(&fig);
    let t = texts(&svg);
    for k in 0..16 {
        assert!(t.iter().any(|s| *s == format!("W:{k}")), "panel {k}");
    }
    // legend once, not per panel
    assert_eq!(t.iter().filter(|s| *s == "Batch Normalization").count(), 1);
    assert_eq!(t.iter().filter(|s| *s == "Normal").count(), 1);
    // the same name has the same colour in every panel
    assert_eq!(count(&svg, "polyline", "stroke", BLUE), 16);
    assert_eq!(count(&svg, "polyline", "stroke", ORANGE), 16);
    assert_eq!(
        count(&svg, "polyline", "stroke-dasharray", "4 3"),
        16,
        "dashed"
    );
}

#[test]
fn histogram_grid_bins_and_draws_bars() {
    let layers: Vec<Vec<f64>> = (0..5)
        .map(|l| {
            (0..1000)
                .map(|i| ((i * (l + 3)) % 997) as f64 / 997.0)
                .collect()
        })
        .collect();
    let mut h = HistogramGrid::new("activations").range(0.0, 1.0);
    for (i, l) in layers.iter().enumerate() {
        h = h.panel(&format!("{}-layer", i + 1), l);
    }
    let counts = h.counts();
    assert_eq!(counts.len(), 5);
    for (c, bad, out) in &counts {
        assert_eq!(c.len(), 30);
        assert_eq!(c.iter().sum::<usize>(), 1000);
        assert_eq!((*bad, *out), (0, 0));
    }
    let nonzero: usize = counts
        .iter()
        .map(|c| c.0.iter().filter(|&&k| k > 0).count())
        .sum();
    let svg = doc(&h.build());
    assert_eq!(count(&svg, "rect", "fill", BLUE), nonzero);
    let t = texts(&svg);
    for i in 1..=5 {
        assert!(t.iter().any(|s| *s == format!("{i}-layer")));
    }
    // a NaN and an out-of-range value are counted and noted
    let a = Array2::from_shape_vec((2, 2), vec![0.5, f64::NAN, 2.0, 0.25]).unwrap();
    let svg = doc(&HistogramGrid::new("")
        .panel("x", &a)
        .range(0.0, 1.0)
        .build());
    let t = texts(&svg);
    assert!(t.iter().any(|s| s == "x"), "{t:?}");
    assert!(
        t.iter().any(|s| s == "1 outside range, 1 non-finite"),
        "{t:?}"
    );
}

#[test]
fn histogram_y_limit_cuts_the_spike_like_the_books_ylim() {
    // 900 zeros and 100 values spread over (0, 1]: without a limit the axis reaches the
    // spike; with y_limit(50) it stops at 50 and the spike's bar is cut there
    let v: Vec<f64> = (0..1000)
        .map(|i| {
            if i < 900 {
                0.0
            } else {
                (i - 899) as f64 / 100.0
            }
        })
        .collect();
    let h = HistogramGrid::new("")
        .range(0.0, 1.0)
        .bins(10)
        .panel("a", &v);
    let ticks = |svg: &str| -> Vec<f64> {
        texts(svg)
            .iter()
            .filter_map(|s| s.parse::<f64>().ok())
            .collect()
    };
    let free = doc(&h.clone().build());
    assert!(
        ticks(&free).iter().any(|&t| t >= 800.0),
        "{:?}",
        ticks(&free)
    );
    let cut = doc(&h.y_limit(50.0).build());
    let top = ticks(&cut).into_iter().fold(0.0, f64::max);
    assert!((40.0..=50.0).contains(&top), "{:?}", ticks(&cut));
    assert_eq!(count(&cut, "rect", "fill", BLUE), 10);
}

fn path() -> Vec<(f64, f64)> {
    let mut p = (-7.0f64, 2.0f64);
    let mut out = vec![p];
    for _ in 0..30 {
        p = (p.0 - 0.95 * p.0 / 10.0, p.1 - 0.95 * 2.0 * p.1);
        out.push(p);
    }
    out
}

fn bowl(x: f64, y: f64) -> f64 {
    x * x / 20.0 + y * y
}

#[test]
fn contour_grid_has_panels_contours_and_trajectories() {
    let names = ["SGD", "Momentum", "AdaGrad", "Adam"];
    let mut c = ContourPlot::new("optimizers", bowl, (-10.0, 10.0), (-5.0, 5.0)).minimum(0.0, 0.0);
    for n in names {
        c = c.trajectory(n, path());
    }
    let fig = c.build();
    assert_eq!(fig.size(), (2 * 440, 2 * 310 + 36));
    let svg = doc(&fig);
    let t = texts(&svg);
    for n in names.iter().chain(&["optimizers"]) {
        assert!(t.iter().any(|s| s == n), "title {n}");
    }
    assert_eq!(count(&svg, "polyline", "stroke", TRAJ_RED), 4);
    assert_eq!(count(&svg, "circle", "fill", TRAJ_RED), 4 * 31);
    // 7 auto levels, each a closed ellipse inside the range or cut by the border
    let contour_lines = roxmltree::Document::parse(&svg)
        .unwrap()
        .descendants()
        .filter(|n| n.has_tag_name("polyline") && n.attribute("stroke-width") == Some("1"))
        .count();
    assert!(contour_lines >= 4 * 7, "{contour_lines}");

    // six panels in three columns
    let mut c = ContourPlot::new("", bowl, (-10.0, 10.0), (-5.0, 5.0)).columns(3);
    for k in 0..6 {
        c = c.trajectory(&format!("opt{k}"), path());
    }
    assert_eq!(c.build().size(), (3 * 440, 2 * 310));
}

#[test]
fn contour_trajectory_with_nan_renders_with_a_note() {
    let mut p = path();
    p.push((f64::NAN, f64::NAN));
    p.push((f64::INFINITY, 1.0));
    p.push((1e6, 1e6)); // far outside: clipped, not drawn
    let fig = ContourPlot::new("", bowl, (-10.0, 10.0), (-5.0, 5.0))
        .trajectory("diverged", &p)
        .build();
    let svg = doc(&fig);
    assert!(
        texts(&svg)
            .iter()
            .any(|s| s == "diverged (2 non-finite values skipped)"),
        "{:?}",
        texts(&svg)
    );
    assert_eq!(count(&svg, "circle", "fill", TRAJ_RED), 31);
}

#[test]
fn contour_animation_is_a_gif_with_one_frame_per_step() {
    let fig = ContourPlot::new("", bowl, (-10.0, 10.0), (-5.0, 5.0))
        .trajectory("SGD", path())
        .trajectory("SGD again", path())
        .panel_size(300, 220)
        .animate();
    assert_eq!(fig.kind(), FigureKind::Gif);
    assert_eq!(fig.frames(), 31);
    let mut opts = gif::DecodeOptions::new();
    opts.set_color_output(gif::ColorOutput::RGBA);
    let mut dec = opts.read_info(fig.gif().unwrap()).expect("GIF header");
    assert_eq!((dec.width() as u32, dec.height() as u32), (600, 220 + 30));
    assert_eq!(fig.size(), (600, 250));
    let mut frames = 0;
    while let Some(f) = dec.read_next_frame().expect("GIF frame") {
        if frames == 0 {
            assert_eq!((f.width, f.height), (600, 250), "first frame is whole");
        } else {
            // later frames store only the changed box
            assert!(f.left + f.width <= 600 && f.top + f.height <= 250);
            assert!(
                f.width < 600 || f.height < 250,
                "frame {frames} is a sub-rectangle"
            );
        }
        frames += 1;
    }
    assert_eq!(frames, 31);

    let capped = ContourPlot::new("", bowl, (-10.0, 10.0), (-5.0, 5.0))
        .trajectory("SGD", path())
        .panel_size(200, 150)
        .max_frames(10)
        .animate();
    assert_eq!(capped.frames(), 9, "points 1, 5, ..., 29 and all 31");
}

#[test]
fn gradient_field_draws_one_arrow_per_grid_point() {
    let fig = GradientField::new("field", |_, _| (1.0, -0.5), (-1.0, 1.0), (-1.0, 1.0))
        .grid(5, 4)
        .build();
    let svg = doc(&fig);
    assert_eq!(count(&svg, "polygon", "fill", BLUE), 20);
    let fig = GradientField::new(
        "bowl",
        |x, y| (x / 10.0, 2.0 * y),
        (-10.0, 10.0),
        (-5.0, 5.0),
    )
    .build();
    let svg = doc(&fig);
    // at y = 0 and x near 0 the arrows are shorter than half a pixel: drawn as dots
    let arrows = count(&svg, "polygon", "fill", BLUE);
    assert!(arrows > 21 * 11 - 21 && arrows < 21 * 11, "{arrows}");
    let nan = GradientField::new("nan", |x, _| (x.ln(), 1.0), (-1.0, 1.0), (-1.0, 1.0))
        .grid(3, 3)
        .build();
    assert!(texts(&doc(&nan)).iter().any(|s| s.starts_with("nan (")));
}

#[test]
fn image_grid_png_has_expected_size_and_pixels() {
    let img = array![[0.0, 1.0]];
    let fig = ImageGrid::new("")
        .image(&img)
        .scale(10)
        .colormap(Colormap::GrayR)
        .build();
    assert_eq!(fig.kind(), FigureKind::Png);
    let (w, h, px) = decode_png(fig.png().unwrap());
    assert_eq!((w, h), fig.size());
    assert_eq!((w, h), (42, 32));
    let at = |x: u32, y: u32| {
        let k = ((y * w + x) * 3) as usize;
        [px[k], px[k + 1], px[k + 2]]
    };
    assert_eq!(at(15, 15), [255; 3], "low value is white with gray_r");
    assert_eq!(at(25, 15), [0; 3], "high value is black with gray_r");

    // 30 filters (30, 1, 5, 5) in 10 columns, titles, a NaN drawn red
    let mut w4 = Array4::from_shape_fn((30, 1, 5, 5), |(f, _, i, j)| (f * 25 + i * 5 + j) as f64);
    w4[[3, 0, 2, 2]] = f64::NAN;
    let fig = ImageGrid::new("filters")
        .stack(&w4)
        .columns(10)
        .titles((0..30).map(|i| format!("{i}")))
        .normalize(Normalize::Global)
        .build();
    let (w, h, px) = decode_png(fig.png().unwrap());
    assert_eq!((w, h), fig.size());
    let reds = px.chunks(3).filter(|c| c == &[220, 0, 0]).count();
    let s = (72.0f64 / 5.0).round() as usize;
    assert_eq!(reds, s * s, "one NaN pixel scaled up");
    // the title is rasterised with the embedded font: dark pixels in the top 32 rows
    let dark_in_title = px[..(32 * w * 3) as usize]
        .chunks(3)
        .filter(|c| c[0] < 100 && c[1] < 100 && c[2] < 100)
        .count();
    assert!(
        dark_in_title > 50,
        "title text drawn: {dark_in_title} dark pixels"
    );
}

#[test]
fn comp_graph_draws_nodes_and_values() {
    let fig = CompGraph::new("apple")
        .value("apple", "apple", (0.0, 0.0))
        .op("mul", "×", (1.0, 0.0))
        .value("n", "count", (1.0, 1.0))
        .value("out", "price", (2.0, 0.0))
        .edge("apple", "mul", "100", "2")
        .edge("n", "mul", "2", "100")
        .edge("mul", "out", "200", "1")
        .edge("mul", "nowhere", "?", "")
        .build();
    let svg = doc(&fig);
    assert_eq!(count(&svg, "circle", "stroke", "#333333"), 1);
    let t = texts(&svg);
    for want in ["×", "100", "2", "200", "1", "price"] {
        assert!(t.iter().any(|s| s == want), "{want}");
    }
    assert!(t.iter().any(|s| s.contains("1 edge(s) with unknown nodes")));
    assert_eq!(count(&svg, "text", "fill", "#D62728"), 3);
}

#[test]
fn save_checks_extension_and_writes_atomically() {
    let dir = std::env::temp_dir().join(format!("dlfs-plot-test-{}", std::process::id()));
    let fig = LineChart::new("s").series("a", [1.0, 2.0]).build();
    let err = fig.save(dir.join("a.png")).unwrap_err();
    assert!(
        matches!(
            err,
            PlotError::Extension {
                kind: FigureKind::Svg,
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains(".svg"));
    fig.save(dir.join("sub/a.svg")).unwrap();
    assert_eq!(std::fs::read(dir.join("sub/a.svg")).unwrap(), fig.bytes());
    let left: Vec<_> = std::fs::read_dir(dir.join("sub")).unwrap().collect();
    assert_eq!(left.len(), 1, "no temp file left");
    let png = ImageGrid::new("").image(&array![[1.0]]).build();
    png.save(dir.join("b.PNG")).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn evcxr_content_uses_mime_types_and_base64() {
    use base64::Engine as _;
    let svg = LineChart::new("t").series("a", [1.0, 2.0]).build();
    let c = svg.evcxr_content();
    assert!(c.starts_with("EVCXR_BEGIN_CONTENT image/svg+xml\n<svg"));
    assert!(c.ends_with("\nEVCXR_END_CONTENT\n"));
    let png = ImageGrid::new("").image(&array![[1.0, 0.0]]).build();
    let c = png.evcxr_content();
    let body = c
        .strip_prefix("EVCXR_BEGIN_CONTENT image/png\n")
        .and_then(|s| s.strip_suffix("\nEVCXR_END_CONTENT\n"))
        .unwrap();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(body)
        .unwrap();
    assert_eq!(bytes, png.png().unwrap());
    let gif = ContourPlot::new("", bowl, (-1.0, 1.0), (-1.0, 1.0))
        .trajectory("p", vec![(0.5, 0.5), (0.1, 0.1)])
        .panel_size(120, 100)
        .animate();
    assert!(
        gif.evcxr_content()
            .starts_with("EVCXR_BEGIN_CONTENT image/gif\n")
    );
}

#[test]
fn error_figure_is_valid_svg() {
    let svg = doc(&Figure::error("a <bad> & thing"));
    assert!(texts(&svg)[0].contains("a <bad> & thing"));
}

#[test]
fn odd_inputs_never_panic() {
    let cases: Vec<Vec<f64>> = vec![
        vec![],
        vec![1.0],
        vec![f64::MAX, -f64::MAX],
        vec![1e-300, 2e-300],
        vec![5.0; 3],
        vec![f64::NEG_INFINITY, 0.0, f64::INFINITY],
    ];
    for y in &cases {
        for smooth in [false, true] {
            let fig = LineChart::new("odd")
                .series("a", y)
                .series("b", y)
                .smooth(smooth)
                .build();
            doc(&fig);
        }
        doc(&HistogramGrid::new("odd").panel("a", y).build());
        doc(&ChartGrid::new("odd")
            .chart(LineChart::new("p").series("a", y))
            .build());
    }
    doc(&LineChart::new("empty").build());
    doc(&LineChart::new("")
        .series("a", [1.0, 2.0])
        .y_range(f64::NAN, 1.0)
        .build());
    doc(&LineChart::new("")
        .series("a", [1.0, 2.0])
        .y_range(1.0, 1.0)
        .build());
    doc(&ChartGrid::new("empty").build());
    doc(&HistogramGrid::new("empty").build());
    doc(&FunctionPlot::new("inv", -1.0, 1.0)
        .function("1/x", |x| 1.0 / x)
        .build());
    doc(&FunctionPlot::new("flat", 2.0, 2.0)
        .function("c", |_| 1.0)
        .build());
    doc(&ContourPlot::new("const", |_, _| 1.0, (0.0, 1.0), (0.0, 1.0)).build());
    doc(&ContourPlot::new("nan", |x, _| x.ln(), (-1.0, 1.0), (-1.0, 1.0)).build());
    doc(&ContourPlot::new("no traj", bowl, (-1.0, 1.0), (-1.0, 1.0))
        .trajectory("e", Vec::<(f64, f64)>::new())
        .build());
    let g = ContourPlot::new("", bowl, (-1.0, 1.0), (-1.0, 1.0))
        .panel_size(120, 100)
        .animate();
    assert_eq!(g.frames(), 1);
    doc(&GradientField::new("zero", |_, _| (0.0, 0.0), (-1.0, 1.0), (-1.0, 1.0)).build());
    let empty = ImageGrid::new("none").build();
    assert!(empty.png().is_some());
    let zero = ImageGrid::new("")
        .image(&Array2::<f64>::zeros((0, 0)))
        .build();
    assert!(zero.png().is_some() || zero.svg().is_some());
    let nan_img = ImageGrid::new("")
        .image(&Array2::from_elem((3, 3), f64::NAN))
        .build();
    assert!(nan_img.png().is_some());
    doc(&CompGraph::new("").build());
}

#[test]
fn an_image_grid_of_a_whole_data_set_draws_only_the_first_images() {
    use dlfs::plot::{ImageGrid, MAX_IMAGES};
    let many = dlfs::ndarray::Array3::<f64>::from_shape_fn((10_000, 28, 28), |(n, i, j)| {
        ((n + i * j) % 9) as f64
    });
    let capped = ImageGrid::new("digits").stack(&many).build();
    let first = ImageGrid::new("digits")
        .stack(&many.slice(dlfs::ndarray::s![..MAX_IMAGES, .., ..]))
        .build();
    let (w, h) = capped.size();
    assert_eq!(
        capped.size().1,
        first.size().1,
        "as tall as a grid of the first {MAX_IMAGES}"
    );
    assert!(w <= 2000 && h <= 5000, "{w}×{h}");
    assert!(
        capped.png().unwrap().len() < 4_000_000,
        "{} bytes",
        capped.png().unwrap().len()
    );
    // one image at a time counts the same way
    let mut one_by_one = ImageGrid::new("");
    for k in 0..MAX_IMAGES + 3 {
        one_by_one = one_by_one.image(&many.index_axis(dlfs::ndarray::Axis(0), k));
    }
    assert_eq!(one_by_one.build().size().1, first.size().1);
}

#[test]
fn x_from_counts_epochs_from_one() {
    let acc: Vec<f64> = (0..20).map(|i| 0.5 + i as f64 / 50.0).collect();
    let ticks = |c: LineChart| -> Vec<String> { texts(&doc(&c.build())) };
    let from0 = ticks(LineChart::new("").series("acc", &acc));
    assert!(from0.iter().any(|s| s == "0"), "{from0:?}");
    let from1 = ticks(LineChart::new("").series("acc", &acc).x_from(1.0));
    assert!(!from1.iter().any(|s| s == "0"), "{from1:?}");
    assert!(from1.iter().any(|s| s == "20"), "{from1:?}");
}

#[test]
fn chart_grid_labels_the_outer_panels() {
    // 7 panels in 3 columns: "epochs" under the lowest panel of each column (rows 3, 3, 2),
    // "accuracy" beside the first panel of each row
    let acc = [0.2, 0.5, 0.7];
    let mut grid = ChartGrid::new("g").columns(3).labels("epochs", "accuracy");
    for k in 0..7 {
        grid = grid.chart(LineChart::new(&format!("p{k}")).series("a", acc));
    }
    let t = texts(&doc(&grid.build()));
    assert_eq!(t.iter().filter(|s| *s == "epochs").count(), 3, "{t:?}");
    assert_eq!(t.iter().filter(|s| *s == "accuracy").count(), 3, "{t:?}");
}

/// The list forms draw what the reassigning loops draw.
#[test]
fn list_builders_draw_what_the_loops_draw() {
    let names = ["SGD", "Adam"];
    let losses = [vec![2.0, 1.0, 0.5], vec![2.0, 0.6, 0.2]];
    let mut looped = LineChart::new("loss");
    for (name, loss) in names.iter().zip(&losses) {
        looped = looped.series(name, loss);
    }
    let listed = LineChart::new("loss").series_all(names.iter().zip(&losses));
    assert_eq!(listed.build().svg(), looped.build().svg());
    assert!(listed.build().svg().unwrap().contains("Adam"));

    let f = |x: f64, y: f64| x * x / 20.0 + y * y;
    let paths: Vec<(String, Vec<(f64, f64)>)> = vec![
        ("SGD".into(), vec![(-7.0, 2.0), (-6.0, 1.0)]),
        ("Momentum".into(), vec![(-7.0, 2.0), (-5.0, 0.5)]),
    ];
    let mut contour = ContourPlot::new("paths", f, (-10.0, 10.0), (-5.0, 5.0));
    for (name, path) in &paths {
        contour = contour.trajectory(name, path);
    }
    let listed = ContourPlot::new("paths", f, (-10.0, 10.0), (-5.0, 5.0)).trajectories(&paths);
    assert_eq!(listed.build().svg(), contour.build().svg());

    let chart =
        |k: usize| LineChart::new(&format!("run {k}")).series("acc", [0.1, 0.5 + k as f64 / 10.0]);
    let mut grid = ChartGrid::new("runs");
    for k in 0..3 {
        grid = grid.chart(chart(k));
    }
    let listed = ChartGrid::new("runs").charts((0..3).map(chart));
    assert_eq!(listed.build().svg(), grid.build().svg());
}

#[test]
fn comp_graph_blocks_are_boxes_met_by_horizontal_arrows_and_words_fit_circles() {
    let fig = CompGraph::new("")
        .value("a1", "a1", (0.0, 0.0))
        .value("a3", "a3", (0.0, 2.0))
        .block("softmax", "Softmax", (1.0, 1.0), 3.0)
        .op("exp", "exp", (2.0, 1.0))
        .edge("a1", "softmax", "", "")
        .edge("a3", "softmax", "", "")
        .edge("softmax", "exp", "", "")
        .build();
    let svg = doc(&fig);
    let d = roxmltree::Document::parse(&svg).unwrap();
    let lines: Vec<_> = d.descendants().filter(|n| n.has_tag_name("line")).collect();
    assert_eq!(lines.len(), 3);
    for l in &lines {
        assert_eq!(l.attribute("y1"), l.attribute("y2"), "horizontal arrows");
    }
    let boxes = d
        .descendants()
        .filter(|n| n.has_tag_name("rect") && n.attribute("rx") == Some("5"));
    assert_eq!(boxes.count(), 1);
    // a word in a circle is set smaller than a symbol
    let exp = d
        .descendants()
        .find(|n| n.has_tag_name("text") && n.text() == Some("exp"))
        .unwrap();
    assert_eq!(exp.attribute("font-size"), Some("16"));
}
