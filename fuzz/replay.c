/* Replays files through a fuzz target without libFuzzer, so the normal and
 * sanitizer builds run the seed corpus and every past crasher as a test.
 * Usage: fuzz-replay FILE|DIR ... */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static int n_files;

static int
replay_file (const char *path)
{
  FILE *f = fopen (path, "rb");
  uint8_t *buf;
  long len;
  if (f == NULL || fseek (f, 0, SEEK_END) != 0 || (len = ftell (f)) < 0
      || fseek (f, 0, SEEK_SET) != 0) {
    perror (path);
    return 1;
  }
  buf = malloc (len > 0 ? (size_t) len : 1);
  if (len > 0 && fread (buf, 1, (size_t) len, f) != (size_t) len) {
    perror (path);
    return 1;
  }
  fclose (f);
  LLVMFuzzerTestOneInput (buf, (size_t) len);
  free (buf);
  n_files++;
  return 0;
}

int
main (int argc, char **argv)
{
  int rc = 0;
  for (int i = 1; i < argc; i++) {
    struct stat st;
    if (stat (argv[i], &st) != 0) {
      perror (argv[i]);
      return 1;
    }
    if (S_ISDIR (st.st_mode)) {
      struct dirent **names;
      int n = scandir (argv[i], &names, NULL, alphasort);
      for (int k = 0; k < n; k++) {
        if (names[k]->d_name[0] != '.') {
          char *p = malloc (strlen (argv[i]) + strlen (names[k]->d_name) + 2);
          sprintf (p, "%s/%s", argv[i], names[k]->d_name);
          rc |= replay_file (p);
          free (p);
        }
        free (names[k]);
      }
      free (names);
    } else {
      rc |= replay_file (argv[i]);
    }
  }
  printf ("replayed %d inputs\n", n_files);
  if (n_files == 0) {           /* a replay of nothing would always pass */
    fprintf (stderr, "fuzz-replay: no inputs\n");
    return 1;
  }
  return rc;
}
