"""shorthand"""
