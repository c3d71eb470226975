/* A model's configuration as the JSON text a model file's metadata holds
 * under "config" (config_json.c); private to the core's file I/O. */
#ifndef VAE_CONFIG_JSON_H
#define VAE_CONFIG_JSON_H

#include "vae.h"

/* The configuration as compact JSON text (g_free). */
char *vae_config_to_json (const VaeConfig *c);
/* Parses and validates text into c; VAE_ERR_CONFIG or VAE_ERR_DIMS with
 * the field named when a field is missing, mistyped or out of range. */
int vae_config_from_json (const char *text, VaeConfig *c, VaeError *err);

#endif
