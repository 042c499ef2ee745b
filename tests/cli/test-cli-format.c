/* test-cli-format.c
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The plain code of the `ladle` command: JSON strings, sizes and durations, the progress line. */

#include <string.h>

#include "ladle-cli.h"

/* {"v": text} as ladle prints it: one line */
static char *
json_line_of (const char *text)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  ladle_cli_json_add_string (builder, "v", text);
  json_builder_end_object (builder);
  return ladle_cli_json_to_line (builder);
}

/* The line is valid UTF-8, has no raw control character but its final newline, and parses
 * back (with json-glib's parser) to @expected, or to null. */
static void
assert_json_line (const char *line,
                  const char *expected)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  JsonObject *object;
  gsize length = strlen (line);
  gsize i;

  g_assert_true (g_utf8_validate (line, -1, NULL));
  g_assert_cmpuint (length, >, 1);
  g_assert_cmpint (line[length - 1], ==, '\n');
  for (i = 0; i < length - 1; i++)
    g_assert_cmpint ((guchar) line[i], >=, 0x20);

  g_assert_true (json_parser_load_from_data (parser, line, -1, &error));
  g_assert_no_error (error);
  object = json_node_get_object (json_parser_get_root (parser));
  if (expected == NULL)
    g_assert_true (json_object_get_null_member (object, "v"));
  else
    g_assert_cmpstr (json_object_get_string_member (object, "v"), ==, expected);
}

static void
test_json_strings (void)
{
  static const struct { const char *in; const char *out; } cases[] = {
    { "plain", "plain" },
    { "", "" },
    { "a\"b\\c/d", "a\"b\\c/d" },
    { "line\nbreak\ttab\rcr\bbs\ffeed", "line\nbreak\ttab\rcr\bbs\ffeed" },
    { "\x01\x1f\x7f", "\x01\x1f\x7f" },
    { "esc\033[2J", "esc\033[2J" },
    { "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x8d\xb2", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x8d\xb2" },
    /* not UTF-8 (a Latin-1 file name): U+FFFD, never an invalid byte in the output */
    { "r\xe9sum\xe9.txt", "r\xef\xbf\xbdsum\xef\xbf\xbd.txt" },
    { "\xff\xfe", "\xef\xbf\xbd\xef\xbf\xbd" },
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *line = json_line_of (cases[i].in);

      assert_json_line (line, cases[i].out);
    }
}

static void
test_json_null (void)
{
  g_autofree char *line = json_line_of (NULL);

  g_assert_cmpstr (line, ==, "{\"v\":null}\n");
  assert_json_line (line, NULL);
}

/* Every byte sequence gives one line of valid JSON that parses back to the same text (made
 * valid UTF-8). */
static void
test_json_any_bytes (void)
{
  GRand *rand = g_rand_new_with_seed (15);
  guint round;

  for (round = 0; round < 2000; round++)
    {
      char buffer[64];
      guint length = g_rand_int_range (rand, 1, sizeof buffer);
      g_autofree char *line = NULL;
      g_autofree char *valid = NULL;
      guint i;

      for (i = 0; i < length - 1; i++)
        buffer[i] = (char) g_rand_int_range (rand, 1, 256);
      buffer[length - 1] = '\0';
      line = json_line_of (buffer);
      valid = g_utf8_make_valid (buffer, -1);
      assert_json_line (line, valid);
    }
  g_rand_free (rand);
}

static void
test_sizes (void)
{
  static const struct { gint64 bytes; const char *text; } cases[] = {
    { 0, "0 B" },
    { 1023, "1023 B" },
    { 1024, "1.0 KiB" },
    { 1536, "1.5 KiB" },
    { 3 * 1024 * 1024, "3.0 MiB" },
    { G_GINT64_CONSTANT (5) << 40, "5.0 TiB" },
    { -1, "?" },
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *text = ladle_cli_format_size (cases[i].bytes);

      g_assert_cmpstr (text, ==, cases[i].text);
    }
}

static void
test_rates_and_durations (void)
{
  static const struct { gint64 seconds; const char *text; } durations[] = {
    { 0, "0:00" }, { 5, "0:05" }, { 65, "1:05" }, { 3599, "59:59" }, { 3600, "1:00:00" },
    { 3723, "1:02:03" }, { 360000, ">99h" }, { -1, "--:--" },
  };
  g_autofree char *rate = ladle_cli_format_rate (1536);
  g_autofree char *unknown = ladle_cli_format_rate (-1);
  guint i;

  g_assert_cmpstr (rate, ==, "1.5 KiB/s");
  g_assert_cmpstr (unknown, ==, "--/s");
  for (i = 0; i < G_N_ELEMENTS (durations); i++)
    {
      g_autofree char *text = ladle_cli_format_duration (durations[i].seconds);

      g_assert_cmpstr (text, ==, durations[i].text);
    }
}

static guint
columns (const char *text)
{
  guint n = 0;
  const char *p;

  for (p = text; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      n += g_unichar_iszerowidth (c) ? 0 : g_unichar_iswide (c) ? 2 : 1;
    }
  return n;
}

static void
test_line_known_total (void)
{
  LadleCliLine line = { .name = "big.iso", .done = 450, .total = 1000, .rate = 50, .elapsed = 9 };
  g_autofree char *text = ladle_cli_render_line (&line, 80);

  g_assert_cmpuint (columns (text), <=, 80);
  g_assert_true (g_str_has_prefix (text, "big.iso"));
  g_assert_nonnull (strstr (text, " 45% ["));
  g_assert_nonnull (strstr (text, "=>"));
  g_assert_nonnull (strstr (text, "450 B/1000 B"));
  g_assert_nonnull (strstr (text, "50 B/s"));
  g_assert_nonnull (strstr (text, "ETA 0:11"));
  g_assert_null (strchr (text, '\n'));
}

static void
test_line_finished (void)
{
  LadleCliLine line = { .name = "big.iso", .done = 1000, .total = 1000, .rate = 100, .elapsed = 10,
                        .finished = TRUE };
  g_autofree char *text = ladle_cli_render_line (&line, 80);

  g_assert_nonnull (strstr (text, "100% [====="));
  g_assert_null (strchr (text, '>'));
  g_assert_nonnull (strstr (text, "in 0:10"));
  g_assert_null (strstr (text, "ETA"));
}

static void
test_line_unknown_total (void)
{
  LadleCliLine line = { .name = "stream", .done = 2048, .total = -1, .rate = 1024, .elapsed = 2 };
  guint tick;

  for (tick = 0; tick < 200; tick++)
    {
      g_autofree char *text = NULL;

      line.tick = tick;
      text = ladle_cli_render_line (&line, 60);
      g_assert_cmpuint (columns (text), <=, 60);
      g_assert_nonnull (strstr (text, "<=>"));
      g_assert_nonnull (strstr (text, "2.0 KiB  1.0 KiB/s"));
      g_assert_null (strstr (text, "ETA"));
    }
}

static void
test_line_failure (void)
{
  LadleCliLine line = { .name = "x.bin", .done = 10, .total = 100, .failure = "HTTP 404 Not Found" };
  g_autofree char *text = ladle_cli_render_line (&line, 80);
  g_autofree char *narrow = ladle_cli_render_line (&line, 12);

  g_assert_cmpstr (text, ==, "x.bin  failed: HTTP 404 Not Found");
  g_assert_cmpuint (columns (narrow), <=, 12);
}

/* Whatever the width and the name, a line fits: the name is cut first, then the bar goes. */
static void
test_line_fits_any_width (void)
{
  const char *names[] = { "a", "a-rather-long-file-name-that-goes-on-and-on-2026-12-02.tar.gz",
                          "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xe3\x81\xae\xe5\x90\x8d\xe5\x89\x8d.txt",
                          "r\xe9sum\xe9" };
  guint width, i;

  for (i = 0; i < G_N_ELEMENTS (names); i++)
    for (width = 10; width <= 220; width++)
      {
        LadleCliLine line = { .name = names[i], .done = 123456789, .total = 987654321, .rate = 1234567,
                              .elapsed = 100 };
        g_autofree char *text = ladle_cli_render_line (&line, width);

        g_assert_true (g_utf8_validate (text, -1, NULL));
        g_assert_cmpuint (columns (text), <=, width);
        if (width >= 80)
          g_assert_nonnull (strstr (text, "["));
      }
}

/* A narrow terminal drops the sizes before the bar, the rate and the ETA. */
static void
test_line_narrow (void)
{
  LadleCliLine line = { .name = "archive.tar", .done = 123456789, .total = 987654321, .rate = 1234567 };
  g_autofree char *wide = ladle_cli_render_line (&line, 100);
  g_autofree char *narrow = ladle_cli_render_line (&line, 56);

  g_assert_nonnull (strstr (wide, "117.7 MiB/941.9 MiB"));
  g_assert_cmpuint (columns (narrow), <=, 56);
  g_assert_true (g_str_has_prefix (narrow, "archive.tar"));
  g_assert_null (strstr (narrow, "941.9 MiB"));
  g_assert_nonnull (strstr (narrow, "=>"));
  g_assert_nonnull (strstr (narrow, "1.2 MiB/s"));
  g_assert_nonnull (strstr (narrow, "ETA 11:40"));
}

static void
test_line_aligned_names (void)
{
  LadleCliLine a = { .name = "a", .done = 1, .total = 2, .rate = 1, .name_columns = 10 };
  LadleCliLine b = { .name = "longer.bin", .done = 1, .total = 2, .rate = 1, .name_columns = 10 };
  g_autofree char *line_a = ladle_cli_render_line (&a, 100);
  g_autofree char *line_b = ladle_cli_render_line (&b, 100);

  g_assert_true (strstr (line_a, "%") - line_a == strstr (line_b, "%") - line_b);
}

/* A name holding an escape sequence must not drive the terminal. */
static void
test_line_control_characters (void)
{
  LadleCliLine line = { .name = "evil\033[2J\033]0;title\007.txt", .done = 1, .total = 2, .rate = 1 };
  g_autofree char *text = ladle_cli_render_line (&line, 100);
  const char *p;

  for (p = text; *p != '\0'; p++)
    g_assert_cmpint ((guchar) *p, >=, 0x20);
  g_assert_true (g_str_has_prefix (text, "evil?[2J?]0;title?.txt"));
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/Ladle/Cli/json/strings", test_json_strings);
  g_test_add_func ("/Ladle/Cli/json/null", test_json_null);
  g_test_add_func ("/Ladle/Cli/json/any-bytes", test_json_any_bytes);
  g_test_add_func ("/Ladle/Cli/format/sizes", test_sizes);
  g_test_add_func ("/Ladle/Cli/format/rates-and-durations", test_rates_and_durations);
  g_test_add_func ("/Ladle/Cli/line/known-total", test_line_known_total);
  g_test_add_func ("/Ladle/Cli/line/finished", test_line_finished);
  g_test_add_func ("/Ladle/Cli/line/unknown-total", test_line_unknown_total);
  g_test_add_func ("/Ladle/Cli/line/failure", test_line_failure);
  g_test_add_func ("/Ladle/Cli/line/fits-any-width", test_line_fits_any_width);
  g_test_add_func ("/Ladle/Cli/line/narrow", test_line_narrow);
  g_test_add_func ("/Ladle/Cli/line/aligned-names", test_line_aligned_names);
  g_test_add_func ("/Ladle/Cli/line/control-characters", test_line_control_characters);

  return g_test_run ();
}
