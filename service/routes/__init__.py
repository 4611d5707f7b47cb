"""service/routes"""
