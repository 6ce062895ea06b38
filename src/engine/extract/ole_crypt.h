/*
 * ole_crypt.h - does an Office file open with a well-known default password?
 *
 * Only the password verifier is checked (no content is decrypted).
 */
#ifndef VIGIL_EXTRACT_OLE_CRYPT_H
#define VIGIL_EXTRACT_OLE_CRYPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* EncryptionInfo stream of an encrypted OOXML package */
bool crypt_ooxml_default_password(const uint8_t *info, size_t n);
/* FILEPASS record data after wEncryptionType (RC4 / RC4 CryptoAPI) */
bool crypt_biff_rc4_default_password(const uint8_t *p, size_t n);

#endif
