create schema if not exists marts
