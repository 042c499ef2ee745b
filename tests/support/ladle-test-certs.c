/* ladle-test-certs.c
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * Certificates made by openssl when a test first asks for them (see ladle-test.h), in a
 * temporary directory under $TMPDIR.
 */

#include "ladle-test.h"

#include <glib/gstdio.h>


typedef struct
{
  char *dir;
  char *cert[3];
  char *key[3];
  char *ca;
} Certs;

static Certs *certs;

static void
run_openssl (const char *dir,
             const char *first_arg,
             ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *output = NULL;
  int status = 0;
  const char *arg;
  va_list args;

  g_ptr_array_add (argv, (char *) "openssl");
  va_start (args, first_arg);
  for (arg = first_arg; arg != NULL; arg = va_arg (args, const char *))
    g_ptr_array_add (argv, (char *) arg);
  va_end (args);
  g_ptr_array_add (argv, NULL);

  if (!g_spawn_sync (dir, (char **) argv->pdata, NULL,
                     G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL,
                     NULL, NULL, NULL, &output, &status, &error))
    g_error ("cannot run openssl: %s", error->message);
  if (!g_spawn_check_wait_status (status, &error))
    g_error ("openssl %s failed: %s\n%s", first_arg, error->message, output);
}

static void
make_self_signed (Certs       *c,
                  LadleTestCert which,
                  const char  *name)
{
  g_autofree char *cert = g_strdup_printf ("%s.pem", name);
  g_autofree char *key = g_strdup_printf ("%s-key.pem", name);

  run_openssl (c->dir, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
               "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
               "-keyout", key, "-out", cert, NULL);
  c->cert[which] = g_build_filename (c->dir, cert, NULL);
  c->key[which] = g_build_filename (c->dir, key, NULL);
}

static void
make_certs (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *extensions = NULL;
  Certs *c;

  c = g_new0 (Certs, 1);
  c->dir = g_dir_make_tmp ("ladle-security-XXXXXX", &error);
  g_assert_no_error (error);

  make_self_signed (c, LADLE_TEST_CERT_SELF_SIGNED, "self-signed");
  make_self_signed (c, LADLE_TEST_CERT_OTHER, "other");

  run_openssl (c->dir, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
               "-subj", "/CN=Ladle Test CA",
               "-addext", "basicConstraints=critical,CA:TRUE",
               "-addext", "keyUsage=critical,keyCertSign,cRLSign",
               "-keyout", "ca-key.pem", "-out", "ca.pem", NULL);
  run_openssl (c->dir, "req", "-new", "-newkey", "rsa:2048", "-nodes",
               "-subj", "/CN=127.0.0.1", "-keyout", "leaf-key.pem", "-out", "leaf.csr", NULL);
  extensions = g_build_filename (c->dir, "leaf.ext", NULL);
  g_file_set_contents (extensions,
                       "basicConstraints=CA:FALSE\n"
                       "keyUsage=critical,digitalSignature,keyEncipherment\n"
                       "extendedKeyUsage=serverAuth\n"
                       "subjectAltName=IP:127.0.0.1,DNS:localhost\n",
                       -1, &error);
  g_assert_no_error (error);
  run_openssl (c->dir, "x509", "-req", "-in", "leaf.csr", "-CA", "ca.pem", "-CAkey", "ca-key.pem",
               "-set_serial", "4242", "-days", "2", "-extfile", "leaf.ext",
               "-out", "leaf.pem", NULL);

  c->cert[LADLE_TEST_CERT_LEAF] = g_build_filename (c->dir, "leaf.pem", NULL);
  c->key[LADLE_TEST_CERT_LEAF] = g_build_filename (c->dir, "leaf-key.pem", NULL);
  c->ca = g_build_filename (c->dir, "ca.pem", NULL);

  certs = c;
}

static Certs *
get_certs (void)
{
  if (certs == NULL)
    make_certs ();

  return certs;
}

const char *
ladle_test_cert_file (LadleTestCert cert)
{
  return get_certs ()->cert[cert];
}

const char *
ladle_test_key_file (LadleTestCert cert)
{
  return get_certs ()->key[cert];
}

const char *
ladle_test_ca_file (void)
{
  return get_certs ()->ca;
}

GTlsCertificate *
ladle_test_cert_load (LadleTestCert cert)
{
  g_autoptr(GError) error = NULL;
  GTlsCertificate *certificate;

  certificate = g_tls_certificate_new_from_files (ladle_test_cert_file (cert),
                                                  ladle_test_key_file (cert), &error);
  g_assert_no_error (error);

  return certificate;
}

void
ladle_test_certs_cleanup (void)
{
  g_autoptr(GDir) dir = NULL;
  const char *name;

  if (certs == NULL)
    return;

  dir = g_dir_open (certs->dir, 0, NULL);
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (certs->dir, name, NULL);

      g_unlink (path);
    }
  g_rmdir (certs->dir);

  for (guint i = 0; i < G_N_ELEMENTS (certs->cert); i++)
    {
      g_free (certs->cert[i]);
      g_free (certs->key[i]);
    }
  g_free (certs->ca);
  g_free (certs->dir);
  g_clear_pointer (&certs, g_free);
}

