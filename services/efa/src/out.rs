//! Writing to stdout for users and scripts. A closed stdout (a pipe whose
//! reader is gone, as in `efa openapi | head`) ends the output quietly
//! instead of panicking.

use std::io::Write;

/// Prints one line; a broken pipe is not an error.
pub fn say(text: &str) {
    let _ = writeln!(std::io::stdout(), "{text}");
}
