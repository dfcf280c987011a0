// Rules and policies are embedded with include_dir!, which does not tell Cargo about new
// files: rebuild whenever anything below these directories changes.
fn main() {
    println!("cargo:rerun-if-changed=rules");
    println!("cargo:rerun-if-changed=policies");
    println!("cargo:rerun-if-changed=reports");
}
