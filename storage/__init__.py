"""The database: models, the key ring and field encryption, repositories, migrations."""
