"""Apache Spark as crm360's second engine: the session's settings and the tables it reads."""
