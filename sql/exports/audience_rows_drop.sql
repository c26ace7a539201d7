drop table if exists audience_export
