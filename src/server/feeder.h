/*
 * feeder.h - alerts from the message records the gateways write to the
 * shared store.
 *
 * vigil-milter stores a record of every message (src/store/); when vigild
 * uses the same store, a feeder thread reads the new suspicious and
 * malicious records once a second and ingests each as an alert
 * (alert_ingest), exactly as a gateway's POST /api/v1/alerts would. Its
 * position is kept in the store (table feeder), so a restart resumes where
 * it stopped; a record ingested twice is one alert (alerts.uid is unique),
 * so several vigild nodes on one PostgreSQL may all feed.
 */
#ifndef VIGIL_SERVER_FEEDER_H
#define VIGIL_SERVER_FEEDER_H

#include "server.h"

struct feeder;

/* feed: read the store's records (else only the periodic duties run: the
 * reports' deadline warnings, every warn_s seconds) */
struct feeder *feeder_start(struct vsrv *srv, unsigned interval_ms, bool feed, unsigned warn_s);
void feeder_stop(struct feeder *f);

/* one pass (tests): how many records it ingested, -1 on a store error */
int feeder_pass(struct vsrv *srv);

#endif
