//! `cargo run -p animatrix-media --example first_frame -- VIDEO OUT.png`: decodes the first frame.

use animatrix_media::{Limits, decode_first_frame, pipeline::probe_video_file};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(input), Some(output)) = (args.next(), args.next()) else {
        return Err("usage: first_frame VIDEO OUT.png".into());
    };
    let probe = probe_video_file(std::path::Path::new(&input), &Limits::default())?;
    let mut file = std::io::BufReader::new(std::fs::File::open(&input)?);
    let frame = decode_first_frame(&mut file, &probe)?;
    frame.save(&output)?;
    println!("{}x{}", frame.width(), frame.height());
    Ok(())
}
