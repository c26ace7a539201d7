create schema if not exists quality
