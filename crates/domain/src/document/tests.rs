//! File names and type decisions.

use super::*;

#[test]
fn a_file_name_keeps_only_its_last_component_without_control_characters() {
    assert_eq!(sanitize_file_name("../../etc/passwd"), "passwd");
    assert_eq!(sanitize_file_name("C:\\Users\\x\\deed.pdf"), "deed.pdf");
    assert_eq!(sanitize_file_name("..\\..\\boot.ini"), "boot.ini");
    assert_eq!(sanitize_file_name("sale\u{0}deed\n.pdf"), "saledeed.pdf");
    assert_eq!(sanitize_file_name("  .hidden  "), "hidden");
    assert_eq!(sanitize_file_name("../"), "file");
    assert_eq!(sanitize_file_name(""), "file");
    assert_eq!(sanitize_file_name("भूमि दस्तावेज़.pdf"), "भूमि दस्तावेज़.pdf");
}

#[test]
fn a_long_name_is_cut_keeping_its_extension() {
    let long = format!("{}.pdf", "a".repeat(400));
    let cut = sanitize_file_name(&long);
    assert_eq!(cut.chars().count(), NAME_MAX_CHARS);
    assert!(cut.ends_with("a.pdf"));
}

const PDF: &[u8] = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n";
const PNG: &[u8] = &[
    0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0x0D,
];
const ELF: &[u8] = &[0x7F, b'E', b'L', b'F', 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0];
const EXE: &[u8] = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00";
const ZIP: &[u8] = b"PK\x03\x04\x14\x00\x00\x00\x08\x00";

#[test]
fn the_type_comes_from_the_content_not_the_name() {
    assert_eq!(accept_content(PDF, "deed.pdf"), Ok("application/pdf"));
    assert_eq!(accept_content(PDF, "deed.txt"), Ok("application/pdf"));
    assert_eq!(accept_content(PNG, "photo.jpg"), Ok("image/png"));
    // Executables and archives are refused, whatever they are called.
    assert!(accept_content(ELF, "report.pdf").is_err());
    assert!(accept_content(EXE, "photo.png").is_err());
    assert!(accept_content(ZIP, "notes.txt").is_err());
}

#[test]
fn text_is_plain_or_csv_and_binary_without_a_signature_is_refused() {
    assert_eq!(
        accept_content(b"Survey no. 12\n", "notes"),
        Ok("text/plain")
    );
    assert_eq!(accept_content(b"a,b\n1,2\n", "rates.CSV"), Ok("text/csv"));
    assert_eq!(
        accept_content("मूल्यांकन".as_bytes(), "notes.txt"),
        Ok("text/plain")
    );
    // A multi-byte character cut by the sniffing window is still text.
    let cut = &"ठीक".as_bytes()[..4];
    assert_eq!(accept_content(cut, "a.txt"), Ok("text/plain"));
    assert!(accept_content(&[0x00, 0x01, 0x02, 0xFF], "data.txt").is_err());
    assert!(accept_content(&[], "empty.txt").is_err());
}

#[test]
fn previews_are_pdfs_images_and_text() {
    assert!(previewable("application/pdf"));
    assert!(previewable("image/png"));
    assert!(previewable("text/csv"));
    assert!(!previewable("application/msword"));
}

#[test]
fn invisible_characters_cannot_disguise_a_name() {
    assert_eq!(sanitize_file_name("report\u{202E}fdp.exe"), "reportfdp.exe");
    assert_eq!(sanitize_file_name("deed\u{200B}.pdf"), "deed.pdf");
}

#[test]
fn text_is_only_kept_as_txt_or_csv() {
    assert!(accept_content(b"@echo off\r\ndel *\r\n", "invoice.bat").is_err());
    assert!(accept_content(b"alert(1)", "x.js").is_err());
    assert_eq!(accept_content(b"plain", "notes.TXT"), Ok("text/plain"));
}

#[test]
fn text_is_checked_to_the_end_across_chunks() {
    let mut check = TextCheck::default();
    let word = "मूल्य".as_bytes();
    // A character split over two chunks is fine.
    check.feed(&word[..4]);
    check.feed(&word[4..]);
    assert!(check.is_text());
    check.feed(b"then binary\x00");
    assert!(!check.is_text());
    let mut cut = TextCheck::default();
    cut.feed(&word[..4]);
    assert!(
        !cut.is_text(),
        "a character cut at the very end is not text"
    );
}
