/*
 * net.c - the agent's HTTP client (net.h).
 */
#include "net.h"

#include <curl/curl.h>
#include <stdbool.h>
#include <glib.h>
#include <string.h>

struct net {
	CURL *h;
	char *server, *ca_file, *authz;
};

struct sink {
	GString *buf;
	bool too_big;
};

static size_t on_data(char *p, size_t size, size_t nmemb, void *ctx)
{
	struct sink *s = ctx;
	size_t n = size * nmemb;

	if (s->buf->len + n > NET_MAX_ANSWER) {
		s->too_big = true;
		return 0; /* stops the transfer */
	}
	g_string_append_len(s->buf, p, (gssize)n);
	return n;
}

struct net *net_new(const char *server, const char *ca_file, char **err)
{
	static gsize once;
	struct net *n;

	if (server == NULL ||
	    (!g_str_has_prefix(server, "https://") && !g_str_has_prefix(server, "http://"))) {
		*err = g_strdup(
		        "server must start with https:// (or http:// on a trusted network)");
		return NULL;
	}
	if (g_once_init_enter(&once)) {
		curl_global_init(CURL_GLOBAL_DEFAULT);
		g_once_init_leave(&once, 1);
	}
	n = g_new0(struct net, 1);
	n->h = curl_easy_init();
	if (n->h == NULL) {
		*err = g_strdup("libcurl could not start");
		g_free(n);
		return NULL;
	}
	n->server = g_strdup(server);
	while (g_str_has_suffix(n->server, "/"))
		n->server[strlen(n->server) - 1] = 0;
	n->ca_file = ca_file && *ca_file ? g_strdup(ca_file) : NULL;
	return n;
}

void net_free(struct net *n)
{
	if (n == NULL)
		return;
	curl_easy_cleanup(n->h);
	g_free(n->server);
	g_free(n->ca_file);
	if (n->authz != NULL)
		memset(n->authz, 0, strlen(n->authz));
	g_free(n->authz);
	g_free(n);
}

void net_set_credential(struct net *n, const char *cred)
{
	if (n->authz != NULL)
		memset(n->authz, 0, strlen(n->authz));
	g_free(n->authz);
	n->authz = cred ? g_strconcat("Authorization: Bearer ", cred, NULL) : NULL;
}

int net_post(struct net *n, const char *path, json_t *body, json_t **answer, char **err)
{
	char *url = g_strconcat(n->server, path, NULL);
	char *text = json_dumps(body, JSON_COMPACT);
	struct sink s = {g_string_new(NULL), false};
	struct curl_slist *hdr = NULL;
	long status = 0;
	CURLcode rc;

	*answer = NULL;
	hdr = curl_slist_append(hdr, "Content-Type: application/json");
	hdr = curl_slist_append(hdr, "Accept-Language: en");
	if (n->authz != NULL)
		hdr = curl_slist_append(hdr, n->authz);
	curl_easy_reset(n->h);
	curl_easy_setopt(n->h, CURLOPT_URL, url);
	curl_easy_setopt(n->h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(n->h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(n->h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(n->h, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(n->h, CURLOPT_TIMEOUT, 60L);
	curl_easy_setopt(n->h, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(n->h, CURLOPT_SSL_VERIFYHOST, 2L);
	if (n->ca_file != NULL)
		curl_easy_setopt(n->h, CURLOPT_CAINFO, n->ca_file);
	curl_easy_setopt(n->h, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(n->h, CURLOPT_POSTFIELDS, text ? text : "{}");
	curl_easy_setopt(n->h, CURLOPT_USERAGENT, "vigil-agent/" VIGIL_AGENT_VERSION);
	curl_easy_setopt(n->h, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(n->h, CURLOPT_WRITEDATA, &s);
	rc = curl_easy_perform(n->h);
	if (rc == CURLE_OK) {
		curl_easy_getinfo(n->h, CURLINFO_RESPONSE_CODE, &status);
		*answer = json_loadb(s.buf->str, s.buf->len, 0, NULL);
	} else {
		*err = g_strdup_printf("%s: %s", n->server,
		                       s.too_big ? "the answer is too large"
		                                 : curl_easy_strerror(rc));
	}
	/* the credential is not left in the handle's header list */
	curl_easy_setopt(n->h, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(hdr);
	g_string_free(s.buf, TRUE);
	free(text);
	g_free(url);
	return (int)status;
}
