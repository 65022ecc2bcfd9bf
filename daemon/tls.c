/*
 * tls.c owns the TLS server context of the API port: read from tls_cert
 * and tls_key (OpenSSL 3), TLS 1.2 and 1.3 only, at start and on every
 * SIGHUP, and the one new connections take. It never touches a
 * connection (libevent's OpenSSL bufferevents do, made by http_conn.c),
 * and never puts a word of what a key file holds into a message: errors
 * name the key, the file and OpenSSL's reason.
 *
 * Each connection's SSL holds a reference to the context it was made
 * from (OpenSSL counts them, SSL_new and SSL_free): a reload puts a new
 * context in force for the next connection and drops its own reference
 * to the old one, which lives on until the last connection made from it
 * is freed.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "config.h"
#include "log.h"
#include "tls.h"

static SSL_CTX *current;        /* new connections; NULL: plain HTTP */
static SSL_CTX *prepared;       /* read by tls_prepare, not yet in force */
static char prepared_cert[256]; /* its tls_cert, for the log */

/* A key that wants a passphrase is refused rather than asked for one on
 * a terminal the daemon does not have. */
static int
no_passphrase(char *buf, int size, int rwflag, void *arg)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)arg;
	return 0;
}

/* OpenSSL's reason for the last failure (a fixed phrase, never data), and
 * an empty error queue for whoever uses OpenSSL next (libpq). */
static const char *
ssl_reason(void)
{
	const char *r = ERR_reason_error_string(ERR_peek_last_error());

	ERR_clear_error();
	return r ? r : "no reason given";
}

/* 0 when path can be opened for reading (and, for a secret, is a file
 * not everyone may read: the key would be no secret), else -1 with why
 * in err. */
static int
readable(const struct config *c, const char *key, int line, const char *path,
    int secret, char *err, size_t errlen)
{
	struct stat st;
	FILE *f;

	if (!(f = fopen(path, "r")) || fstat(fileno(f), &st) == -1) {
		snprintf(err, errlen, "%s:%d: %s: cannot read '%s': %s",
		    c->path, line, key, path, strerror(errno));
		if (f)
			fclose(f);
		return -1;
	}
	fclose(f);
	if (secret && S_ISREG(st.st_mode) && (st.st_mode & S_IROTH)) {
		snprintf(err, errlen,
		    "%s:%d: %s: '%s' is readable by everyone; "
		    "chmod 0640 it",
		    c->path, line, key, path);
		return -1;
	}
	return 0;
}

int
tls_prepare(const struct config *c, char *err, size_t errlen)
{
	SSL_CTX *ctx;

	tls_discard();
	snprintf(prepared_cert, sizeof(prepared_cert), "%s", c->tls_cert);
	/* config.c lets through both or neither */
	if (!c->tls_cert[0])
		return 0;
	ERR_clear_error();
	if (readable(c, "tls_cert", c->tls_cert_line, c->tls_cert, 0, err,
		errlen) == -1 ||
	    readable(c, "tls_key", c->tls_key_line, c->tls_key, 1, err,
		errlen) == -1)
		return -1;
	if (!(ctx = SSL_CTX_new(TLS_server_method()))) {
		snprintf(err, errlen, "%s:%d: tls_cert: no TLS context: %s",
		    c->path, c->tls_cert_line, ssl_reason());
		return -1;
	}
	/* whatever the system's openssl.cnf allows */
	if (!SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION)) {
		snprintf(err, errlen,
		    "%s:%d: tls_cert: cannot require TLS 1.2: %s", c->path,
		    c->tls_cert_line, ssl_reason());
		goto fail;
	}
	SSL_CTX_set_default_passwd_cb(ctx, no_passphrase);
	/* idle keep-alive connections keep no read and write buffers */
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
	/* the key first: a certificate after it that does not match drops
	 * it, which the check below names; the other way round OpenSSL would
	 * say only "key values mismatch" */
	if (SSL_CTX_use_PrivateKey_file(ctx, c->tls_key, SSL_FILETYPE_PEM) !=
	    1) {
		snprintf(err, errlen,
		    "%s:%d: tls_key: '%s' holds no PEM private "
		    "key that can be read without a passphrase: %s",
		    c->path, c->tls_key_line, c->tls_key, ssl_reason());
		goto fail;
	}
	if (SSL_CTX_use_certificate_chain_file(ctx, c->tls_cert) != 1) {
		snprintf(err, errlen,
		    "%s:%d: tls_cert: '%s' holds no PEM "
		    "certificate this daemon can use: %s",
		    c->path, c->tls_cert_line, c->tls_cert, ssl_reason());
		goto fail;
	}
	if (SSL_CTX_check_private_key(ctx) != 1) {
		snprintf(err, errlen,
		    "%s:%d: tls_key: the key in '%s' does not "
		    "belong to the certificate in '%s'",
		    c->path, c->tls_key_line, c->tls_key, c->tls_cert);
		ERR_clear_error();
		goto fail;
	}
	prepared = ctx;
	return 0;
fail:
	SSL_CTX_free(ctx);
	return -1;
}

/* Subject, serial and end of validity of ctx's certificate, for the log:
 * a server certificate is public. */
static void
describe(SSL_CTX *ctx, char *buf, size_t len)
{
	X509 *x = SSL_CTX_get0_certificate(ctx);
	char subject[256] = "?", until[32] = "?", *serial = NULL;
	const ASN1_INTEGER *sn;
	BIGNUM *bn = NULL;
	struct tm tm;

	if (!x) {
		snprintf(buf, len, "no certificate");
		return;
	}
	X509_NAME_oneline(X509_get_subject_name(x), subject, sizeof(subject));
	if ((sn = X509_get0_serialNumber(x)) &&
	    (bn = ASN1_INTEGER_to_BN(sn, NULL)))
		serial = BN_bn2hex(bn);
	if (ASN1_TIME_to_tm(X509_get0_notAfter(x), &tm) == 1)
		strftime(until, sizeof(until), "%Y-%m-%dT%H:%M:%SZ", &tm);
	snprintf(buf, len, "subject %s, serial %s, valid until %s%s", subject,
	    serial ? serial : "?", until,
	    X509_cmp_current_time(X509_get0_notAfter(x)) < 0 ?
		", EXPIRED: clients will refuse it" :
		"");
	OPENSSL_free(serial);
	BN_free(bn);
	ERR_clear_error();
}

void
tls_commit(void)
{
	char about[512];

	if (prepared) {
		describe(prepared, about, sizeof(about));
		if (strstr(about, "EXPIRED"))
			log_warnx(
			    "tls: new connections get the certificate in '%s' "
			    "(%s)",
			    prepared_cert, about);
		else
			log_info(
			    "tls: new connections get the certificate in '%s' "
			    "(%s)",
			    prepared_cert, about);
	} else if (current)
		log_warnx("tls: no tls_cert and tls_key: new connections to "
			  "listen speak plain HTTP");
	SSL_CTX_free(current); /* connections made from it keep it */
	current = prepared;
	prepared = NULL;
}

void
tls_discard(void)
{
	SSL_CTX_free(prepared);
	prepared = NULL;
}

int
tls_on(void)
{
	return current != NULL;
}

SSL *
tls_session(void)
{
	SSL *ssl;

	if (!current)
		return NULL;
	if (!(ssl = SSL_new(current)))
		ERR_clear_error();
	return ssl;
}

void
tls_free(void)
{
	tls_discard();
	SSL_CTX_free(current);
	current = NULL;
}
