/* gst-vae data: images and datasets for training and evaluation (PNG,
 * PGM, MNIST's IDX, the Frey Face .mat) and image-quality metrics (PSNR,
 * SSIM).  A separate library (vaedata) beside the core, linked by the
 * tools, tests and benchmarks; the GStreamer plugin does not use it, so it
 * does not pull in libpng or zlib. */
#ifndef VAE_DATA_H
#define VAE_DATA_H

#include "vae.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------- images */

typedef struct {
  int n, w, h;
  uint8_t *pixels;            /* (n, h, w) */
} VaeImages;

/* MNIST-style IDX3 file, gzip or not. */
int vae_images_load_idx (const char *path, VaeImages *out, VaeError *err);
/* Frey Face .mat (uint8 560 × N at offset 184). */
int vae_images_load_frey (const char *path, VaeImages *out, VaeError *err);
void vae_images_clear (VaeImages *im);

/* An 8-bit grayscale image of any size, or a colour one as three planes
 * (planes = 3: Y, Cb and Cr at full resolution, h rows each). */
typedef struct {
  int w, h;
  uint8_t *pixels;            /* (planes, h, w) */
  int planes;                 /* 3 for Y'CbCr, else gray */
} VaeImage;

/* PNG (libpng, converted to 8-bit gray) or binary PGM. */
int vae_image_load (const char *path, VaeImage *out, VaeError *err);
/* A PNG (gray or colour) as BT.601 limited-range Y'CbCr planes, as a
 * video pipeline's I420 or Y444 would hold it (before subsampling). */
int vae_image_load_ycbcr (const char *path, VaeImage *out, VaeError *err);
int vae_image_save_png (const char *path, const uint8_t *pixels, int w,
    int h, int stride, VaeError *err);
void vae_image_clear (VaeImage *im);

/* Sorted list of the PNG/PGM files in a folder, loaded. */
typedef struct {
  int n;
  VaeImage *images;
  char **names;
} VaeImageSet;

int vae_image_set_load_dir (const char *dir, VaeImageSet *out, VaeError *err);
/* The same with each image loaded by vae_image_load_ycbcr. */
int vae_image_set_load_dir_ycbcr (const char *dir, VaeImageSet *out,
    VaeError *err);
void vae_image_set_clear (VaeImageSet *s);

/* Random pw × ph patch, with a random flip/rotation when augment, as floats
 * in [0, 1]. */
void vae_image_set_sample_patch (const VaeImageSet *s, int pw, int ph,
    int augment, VaeRng *rng, float *out);
/* The same from the image enlarged zoom (≥ 1) times, bilinearly: content
 * as smooth per pixel as high-resolution video.  zoom = 1 is the plain
 * patch, drawing the same random numbers. */
void vae_image_set_sample_patch_zoom (const VaeImageSet *s, int pw, int ph,
    int augment, float zoom, VaeRng *rng, float *out);

/* A colour model's patch (VaeConfig.colour, pw × ph interleaved) from a
 * set loaded by vae_image_set_load_dir_ycbcr: a pw × (2·ph/3) patch of
 * each plane, drawn as vae_image_set_sample_patch_zoom draws one, and
 * its chroma averaged over 2 × 2 pixels (4:2:0). */
void vae_image_set_sample_yuv420 (const VaeImageSet *s, int pw, int ph,
    int augment, float zoom, VaeRng *rng, float *out);

/* --------------------------------------------------------------- metrics */

/* PSNR in dB (INFINITY for equal inputs): of two 8-bit planes, and of n
 * floats whose range is peak. */
double vae_psnr_u8 (const uint8_t *a, int a_stride, const uint8_t *b,
    int b_stride, int w, int h);
double vae_psnr_f32 (const float *a, const float *b, size_t n, float peak);
/* Mean SSIM over a w × h plane's valid 11 × 11 windows (Gaussian, σ 1.5;
 * Wang et al. 2004); 1 for a plane smaller than a window. */
double vae_ssim_f32 (const float *a, const float *b, int w, int h,
    float peak);

#ifdef __cplusplus
}
#endif
#endif /* VAE_DATA_H */
